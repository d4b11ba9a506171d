package config

import (
	"fmt"
	"net/mail"
	"net/url"
)

// validateCourier checks the courier's settings.
func (c Config) validateCourier() []string {
	var p []string
	switch c.Courier {
	case "", "log":
	default:
		p = append(p, fmt.Sprintf(`courier %q must be empty or "log"`, c.Courier))
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		switch {
		case err != nil:
			p = append(p, "smtp-url is not a URL")
		case u.Scheme != "smtp" && u.Scheme != "smtps", u.Hostname() == "", u.Path != "" && u.Path != "/", u.RawQuery != "":
			p = append(p, "smtp-url must be smtp://[user:pass@]host:port or smtps://[user:pass@]host:port")
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			p = append(p, "smtp-from must be an email address when smtp-url is set")
		}
	}
	if c.CourierWebhookURL != "" {
		u, err := url.Parse(c.CourierWebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p = append(p, "courier-webhook-url must be an http:// or https:// URL")
		}
		if len(c.CourierWebhookSecret) < 16 {
			p = append(p, "courier-webhook-secret must be at least 16 bytes when courier-webhook-url is set")
		}
	}
	return p
}
