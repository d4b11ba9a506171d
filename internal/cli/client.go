package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client calls a running sessiond's /api/v2 with an operator token.
type client struct {
	host  string
	token string
	http  *http.Client
}

// commonFlags adds --host and, when withToken, --token to fs.
func commonFlags(fs *flag.FlagSet, env Env, withToken bool) *client {
	c := &client{http: &http.Client{Timeout: 30 * time.Second}}
	host := env.Getenv("SESSIOND_HOST")
	if host == "" {
		host = "http://localhost:8086"
	}
	fs.StringVar(&c.host, "host", host, "sessiond URL (env SESSIOND_HOST)")
	if withToken {
		fs.StringVar(&c.token, "token", env.Getenv("SESSIOND_TOKEN"), "operator token (env SESSIOND_TOKEN)")
	}
	return c
}

// do sends a request and decodes a JSON answer into out (when not nil).
// A non-2xx answer becomes an error carrying the server's message.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.host, "/")+path, body)
	if err != nil {
		return fmt.Errorf("bad --host %q: %v", c.host, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach sessiond at %s: %v", c.host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Code, Message string }
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return fmt.Errorf("%s (%d %s)", e.Message, resp.StatusCode, e.Code)
		}
		return fmt.Errorf("server answered %s", resp.Status)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("unexpected answer from server: %v", err)
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
