package config

import (
	"io"
	"strings"
	"testing"
)

func TestCourierSettings(t *testing.T) {
	ok := []struct {
		name string
		args []string
		env  map[string]string
		want func(c Config) bool
	}{
		{"none", nil, nil, func(c Config) bool { return c.Courier == "" && c.SMTPURL == "" }},
		{"log", []string{"--courier", "log"}, nil, func(c Config) bool { return c.Courier == "log" }},
		{"smtp", []string{"--smtp-url", "smtp://mailer:pw@mail.example:587", "--smtp-from", "Acme <no-reply@acme.example>"}, nil,
			func(c Config) bool {
				return c.SMTPURL == "smtp://mailer:pw@mail.example:587" && c.SMTPFrom == "Acme <no-reply@acme.example>"
			}},
		{"smtps from the environment", nil, map[string]string{"SESSIOND_SMTP_URL": "smtps://mail.example", "SESSIOND_SMTP_FROM": "no-reply@acme.example"},
			func(c Config) bool { return c.SMTPURL == "smtps://mail.example" }},
		{"webhook", []string{"--courier-webhook-url", "https://sms.example/hook", "--courier-webhook-secret", "0123456789abcdef"}, nil,
			func(c Config) bool { return c.CourierWebhookURL == "https://sms.example/hook" }},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			got, err := Load(c.args, envOf(c.env), io.Discard)
			if err != nil || !c.want(got) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown courier", []string{"--courier", "pigeon"}, `courier "pigeon"`},
		{"smtp url scheme", []string{"--smtp-url", "http://mail.example", "--smtp-from", "a@b.example"}, "smtp-url must be"},
		{"smtp url path", []string{"--smtp-url", "smtp://mail.example/x", "--smtp-from", "a@b.example"}, "smtp-url must be"},
		{"no sender", []string{"--smtp-url", "smtp://mail.example"}, "smtp-from must be"},
		{"webhook scheme", []string{"--courier-webhook-url", "ftp://x", "--courier-webhook-secret", "0123456789abcdef"}, "courier-webhook-url must be"},
		{"short secret", []string{"--courier-webhook-url", "https://x.example", "--courier-webhook-secret", "short"}, "at least 16 bytes"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.args, envOf(nil), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %q", err, c.want)
			}
		})
	}
}
