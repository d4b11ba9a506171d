package config

import (
	"fmt"
	"net/mail"
	"net/url"
)

// courierOptions are the courier's flags.
func courierOptions() []option {
	return []option{
		{"courier", `how codes are delivered: "" (email by --smtp-url, else --courier-webhook-url; SMS by the webhook) or "log" (written to the log only, for development)`, str(func(c *Config) *string { return &c.Courier })},
		{"smtp-url", "mail server for codes: smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://… (TLS from the start)", str(func(c *Config) *string { return &c.SMTPURL })},
		{"smtp-from", "sender of the codes' emails, such as 'Acme <no-reply@acme.example>'", str(func(c *Config) *string { return &c.SMTPFrom })},
		{"courier-webhook-url", "JSON POST endpoint for messages SMTP does not carry (SMS; email too without --smtp-url)", str(func(c *Config) *string { return &c.CourierWebhookURL })},
		{"courier-webhook-secret", "HMAC-SHA256 key of the webhook's X-Sessiond-Signature header (at least 16 bytes)", str(func(c *Config) *string { return &c.CourierWebhookSecret })},
	}
}

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
