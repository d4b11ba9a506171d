package auth

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// MessageStatus is where a message is in the courier's outbox.
type MessageStatus string

// Message statuses: queued until delivered (sent), given up after too
// many tries (failed), or no longer worth sending because its code has
// expired (expired).
const (
	MessageQueued  MessageStatus = "queued"
	MessageSent    MessageStatus = "sent"
	MessageFailed  MessageStatus = "failed"
	MessageExpired MessageStatus = "expired"
)

// Message is one message in the courier's outbox: a code for a purpose,
// to a recipient of a tenant, rendered with the tenant's templates. Its
// code and body are cleared once it is sent or given up.
type Message struct {
	ID          string
	TenantID    string
	Channel     Channel
	Recipient   string
	Purpose     OTPScope
	Code        string
	Subject     string // email only
	Body        string
	Status      MessageStatus
	Attempts    int       // claims so far
	NextAttempt time.Time // when a worker may claim it
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpiresAt   time.Time // of its code: not sent after this
	SentAt      time.Time
}

// ErrMessageNotFound: no message has the ID.
var ErrMessageNotFound = &Error{Code: ENotFound, Msg: "message not found"}

// MessageTemplate is how a tenant words one purpose's message on one
// channel. Both are Go text/templates over TemplateData; Body must show
// the code.
type MessageTemplate struct {
	Subject string // email only
	Body    string
}

// TemplateData is what a message template can show.
type TemplateData struct {
	Code      string // the six digits
	App       string // the tenant's name ("sessiond" for the default tenant)
	Minutes   int    // how long the code lives
	Recipient string
	Purpose   string
}

// defaultTemplates are the messages sent when a tenant has not set its own.
var defaultTemplates = map[OTPScope]MessageTemplate{
	ScopeEmailVerification: {
		Subject: "Your verification code",
		Body:    "Your code to verify this email address for {{.App}} is {{.Code}}.\n\nIt expires in {{.Minutes}} minutes. If you did not ask for it, you can ignore this message.\n",
	},
	ScopePhoneVerification: {
		Body: "Your {{.App}} verification code is {{.Code}}. It expires in {{.Minutes}} minutes.",
	},
	ScopeResetPassword: {
		Subject: "Your password reset code",
		Body:    "Someone asked to reset the password of your {{.App}} account. Your code is {{.Code}}.\n\nIt expires in {{.Minutes}} minutes. If it was not you, ignore this message: your password stays as it is.\n",
	},
	ScopeOTPSignIn: {
		Subject: "Your sign-in code",
		Body:    "Your code to sign in to {{.App}} is {{.Code}}.\n\nIt expires in {{.Minutes}} minutes. If you did not ask for it, you can ignore this message.\n",
	},
}

// smsDefault is every purpose's SMS when the tenant has not set one.
const smsDefault = "Your {{.App}} code is {{.Code}}. It expires in {{.Minutes}} minutes."

// settingTemplatePrefix + scope + "." + channel + ".subject" or ".body"
// holds a tenant's own template.
const settingTemplatePrefix = "tenantapi.template."

// Bounds of a tenant's templates.
const (
	maxTemplateBytes = 4096
	maxSubjectBytes  = 200
)

// Template returns the template the tenant's messages of the scope use
// on the channel, and whether it is the tenant's own.
func (t *Tenant) Template(scope OTPScope, ch Channel) (MessageTemplate, bool) {
	k := settingTemplatePrefix + string(scope) + "." + string(ch)
	own := MessageTemplate{Subject: t.Settings[k+".subject"], Body: t.Settings[k+".body"]}
	if own.Body != "" {
		return own, true
	}
	return defaultTemplate(scope, ch), false
}

// defaultTemplate is the built-in template of a scope and channel.
func defaultTemplate(scope OTPScope, ch Channel) MessageTemplate {
	d := defaultTemplates[scope]
	if ch == ChannelSMS {
		if scope == ScopePhoneVerification {
			return MessageTemplate{Body: d.Body}
		}
		return MessageTemplate{Body: smsDefault}
	}
	return d
}

// SetMessageTemplate sets the tenant's template for the scope and
// channel; an empty body returns to the default. The template must
// render (with a sample code) to a body that shows the code and, for
// email, a one-line subject. Returns ErrTenantNotFound or EInvalid.
func (s *Service) SetMessageTemplate(ctx context.Context, tenantID string, scope OTPScope, ch Channel, mt MessageTemplate) (*Tenant, error) {
	if !validScope(scope) {
		return nil, Errorf(EInvalid, "purpose must be one of email_verification, phone_verification, reset_password, otp_signin")
	}
	if ch != ChannelEmail && ch != ChannelSMS {
		return nil, Errorf(EInvalid, "channel must be email or sms")
	}
	k := settingTemplatePrefix + string(scope) + "." + string(ch)
	set := map[string]string{k + ".subject": "", k + ".body": ""}
	if mt.Body != "" {
		if ch == ChannelSMS && mt.Subject != "" {
			return nil, Errorf(EInvalid, "an SMS has no subject")
		}
		if ch == ChannelEmail && mt.Subject == "" {
			return nil, Errorf(EInvalid, "an email template needs a subject")
		}
		sample := TemplateData{Code: "123456", App: "app", Minutes: 10, Recipient: "someone@example.com", Purpose: string(scope)}
		subj, body, err := render(mt, sample)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(body, sample.Code) {
			return nil, Errorf(EInvalid, "the body must show the code ({{.Code}})")
		}
		if len(subj) > maxSubjectBytes {
			return nil, Errorf(EInvalid, "the subject is longer than %d bytes", maxSubjectBytes)
		}
		set[k+".subject"], set[k+".body"] = mt.Subject, mt.Body
	} else if mt.Subject != "" {
		return nil, Errorf(EInvalid, "a template needs a body")
	}
	return s.updateTenant(ctx, tenantID, "", set)
}

func validScope(scope OTPScope) bool {
	for _, s := range Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// render executes a template with data; the subject must stay on one line.
func render(mt MessageTemplate, data TemplateData) (subject, body string, err error) {
	if len(mt.Subject) > maxTemplateBytes || len(mt.Body) > maxTemplateBytes {
		return "", "", Errorf(EInvalid, "a template is longer than %d bytes", maxTemplateBytes)
	}
	run := func(name, text string) (string, error) {
		tp, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return "", &Error{Code: EInvalid, Msg: "template " + name + ": " + strings.TrimPrefix(err.Error(), "template: "), Err: err}
		}
		var b bytes.Buffer
		if err := tp.Execute(&b, data); err != nil {
			return "", &Error{Code: EInvalid, Msg: "template " + name + ": " + strings.TrimPrefix(err.Error(), "template: "), Err: err}
		}
		return b.String(), nil
	}
	if subject, err = run("subject", mt.Subject); err != nil {
		return "", "", err
	}
	if strings.ContainsAny(subject, "\r\n") {
		return "", "", Errorf(EInvalid, "the subject must be one line")
	}
	body, err = run("body", mt.Body)
	return subject, body, err
}

// send queues the message of o's code, worded by the tenant's template,
// in the courier's outbox. A silent OTP sends nothing.
func (s *Service) send(ctx context.Context, t *Tenant, o *OTP, code string) error {
	if o.silent() {
		return nil
	}
	app := t.Name
	if t.ID == DefaultTenantID {
		app = "sessiond"
	}
	mt, _ := t.Template(o.Scope, o.Channel)
	subject, body, err := render(mt, TemplateData{Code: code, App: app, Minutes: int(s.otp.TTL / time.Minute), Recipient: o.Recipient, Purpose: string(o.Scope)})
	if err != nil {
		// A stored template that no longer renders: the default does.
		s.log.Warn("tenant message template failed; using the default", "tenant", t.ID, "purpose", o.Scope, "err", err)
		def := defaultTemplate(o.Scope, o.Channel)
		if subject, body, err = render(def, TemplateData{Code: code, App: app, Minutes: int(s.otp.TTL / time.Minute), Recipient: o.Recipient, Purpose: string(o.Scope)}); err != nil {
			return Internal("render message", err)
		}
	}
	now := s.now().UTC()
	m := &Message{
		ID: NewID(), TenantID: t.ID, Channel: o.Channel, Recipient: o.Recipient, Purpose: o.Scope, Code: code,
		Subject: subject, Body: body, Status: MessageQueued, NextAttempt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: o.ExpiresAt,
	}
	if err := s.messages.EnqueueMessage(ctx, m); err != nil {
		return fmt.Errorf("queue message: %w", err)
	}
	return nil
}
