package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Environment variables of the management commands.
const (
	HostEnv  = "SESSIOND_HOST"
	TokenEnv = "SESSIOND_TOKEN"
)

const defaultHost = "http://localhost:8086"

// client calls a running sessiond's /api/v2 with an operator token.
type client struct {
	env   Env
	host  string
	token string
	http  *http.Client
	// cookie is a session's, when the client signed in (auth create).
	cookie *http.Cookie
}

// hostFlag adds --host to fs; the environment is read when the command
// runs, so help never shows a value from it.
func (c *client) hostFlag(fs *pflag.FlagSet) {
	fs.StringVar(&c.host, "host", "", "sessiond URL (env "+HostEnv+", default "+defaultHost+")")
}

// tokenFlag adds --token to fs. Its default is empty in help whatever
// SESSIOND_TOKEN holds: a token is never printed.
func (c *client) tokenFlag(fs *pflag.FlagSet) {
	fs.StringVar(&c.token, "token", "", "operator token (env "+TokenEnv+"); 'sessiond setup' prints one, 'sessiond auth create' makes another")
}

func newClient(env Env) *client {
	return &client{env: env, http: &http.Client{Timeout: 30 * time.Second}}
}

// resolve fills what the flags left empty from the environment.
func (c *client) resolve() {
	if c.host == "" {
		c.host = c.env.Getenv(HostEnv)
	}
	if c.host == "" {
		c.host = defaultHost
	}
	if c.token == "" {
		c.token = c.env.Getenv(TokenEnv)
	}
}

// shownHost is --host without any password it holds, for messages.
func (c *client) shownHost() string {
	if u, err := url.Parse(c.host); err == nil {
		return u.Redacted()
	}
	return "(an unparsable URL)"
}

// apiError is a non-2xx answer of the server.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("server answered %d %s", e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("%s (%d %s)", e.message, e.status, e.code)
}

// do sends a request and decodes a JSON answer into out (when not nil).
// A non-2xx answer becomes an *apiError carrying the server's message; a
// 401 says how to get a token.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	resp, data, err := c.send(ctx, method, path, in, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &apiError{status: resp.StatusCode}
		var body struct{ Code, Message string }
		if json.Unmarshal(data, &body) == nil {
			e.code, e.message = body.Code, body.Message
		}
		if resp.StatusCode == http.StatusUnauthorized {
			return c.unauthorized(ctx, e)
		}
		return e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("unexpected answer from server: %v", err)
		}
	}
	return nil
}

// send makes one request; basic, when set, is a user name and password.
func (c *client) send(ctx context.Context, method, path string, in any, basic []string) (*http.Response, []byte, error) {
	c.resolve()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.host, "/")+path, body)
	if err != nil {
		return nil, nil, fmt.Errorf("bad --host %q: want a URL such as %s", c.shownHost(), defaultHost)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case basic != nil:
		req.SetBasicAuth(basic[0], basic[1])
	case c.cookie != nil:
		req.AddCookie(c.cookie)
	case c.token != "":
		req.Header.Set("Authorization", "Token "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach sessiond at %s: %v (is 'sessiond serve' running there? --host or %s names another)", c.shownHost(), unwrapURLError(err), HostEnv)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp, data, err
}

// unauthorized explains a 401: no token, a token the server refuses, or a
// server not set up yet (whose only way in is setup).
func (c *client) unauthorized(ctx context.Context, e *apiError) error {
	if c.cookie != nil {
		return e
	}
	var setup struct {
		Allowed bool `json:"allowed"`
	}
	if resp, data, err := c.send(ctx, "GET", "/api/v2/setup", nil, nil); err == nil && resp.StatusCode == http.StatusOK &&
		json.Unmarshal(data, &setup) == nil && setup.Allowed {
		return fmt.Errorf("%w: the server at %s is not set up yet; run 'sessiond setup --host %s' (or open %s/ in a browser) to make the first user and an operator token",
			e, c.shownHost(), c.shownHost(), strings.TrimRight(c.shownHost(), "/"))
	}
	if c.token == "" {
		return fmt.Errorf("%w: no operator token; pass --token or set %s (setup printed one; 'sessiond auth create --username ADMIN' makes a new one)", e, TokenEnv)
	}
	return fmt.Errorf("%w: the server refused the operator token (from --token or %s); 'sessiond auth create --username ADMIN' makes a new one", e, TokenEnv)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
