package influxapi

import (
	"net/http"
	"slices"

	"github.com/sessiond/sessiond/internal/auth"
)

// The routes in this file set up how a tenant's users sign in with an
// identity provider (Google, Apple, Facebook) and how the codes sent to
// them are worded.

func (h *Handler) tenantAuthRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v2/tenants/{id}/providers", h.authed(h.handleListProviders))
	mux.Handle("PUT /api/v2/tenants/{id}/providers/{method}", h.authed(h.handleSetProvider))
	mux.Handle("GET /api/v2/tenants/{id}/templates", h.authed(h.handleListTemplates))
	mux.Handle("PUT /api/v2/tenants/{id}/templates/{purpose}/{channel}", h.authed(h.handleSetTemplate))
	mux.Handle("DELETE /api/v2/tenants/{id}/templates/{purpose}/{channel}", h.authed(h.handleSetTemplate))
}

type providerResponse struct {
	Method    string   `json:"method"`
	Enabled   bool     `json:"enabled"` // has client IDs
	ClientIDs []string `json:"clientIDs"`
	Issuers   []string `json:"issuers"`
	KeysURL   string   `json:"keysURL,omitempty"` // empty: discovery
}

type providersResponse struct {
	Providers []providerResponse `json:"providers"`
}

func newProviderResponse(p auth.SocialProvider) providerResponse {
	return providerResponse{Method: string(p.Method), Enabled: len(p.ClientIDs) > 0, ClientIDs: nonNil(p.ClientIDs), Issuers: p.Issuers, KeysURL: p.KeysURL}
}

var socialMethods = []auth.Method{auth.MethodGoogle, auth.MethodApple, auth.MethodFacebook}

// handleListProviders is GET /api/v2/tenants/{id}/providers.
func (h *Handler) handleListProviders(w http.ResponseWriter, r *http.Request, c *caller) {
	t, ok := h.readTenant(w, r, c, "read")
	if !ok {
		return
	}
	out := providersResponse{Providers: []providerResponse{}}
	for _, m := range socialMethods {
		out.Providers = append(out.Providers, newProviderResponse(t.SocialProvider(m)))
	}
	respond(w, http.StatusOK, out)
}

// handleSetProvider is PUT /api/v2/tenants/{id}/providers/{method}
// {"clientIDs", "issuer"?, "keysURL"?}: the tenant's apps at the
// provider (a token's audience must name one; none switches the method
// off), and optionally another issuer and key set (a test issuer, or a
// provider's staging).
func (h *Handler) handleSetProvider(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	m := auth.Method(r.PathValue("method"))
	if !slices.Contains(socialMethods, m) {
		writeError(w, apiError{codeNotFound, "provider must be one of google, apple, facebook"}, true)
		return
	}
	var body struct {
		ClientIDs []string `json:"clientIDs"`
		Issuer    string   `json:"issuer"`
		KeysURL   string   `json:"keysURL"`
	}
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.SetSocialProvider(r.Context(), id, m, auth.SocialProviderUpdate{ClientIDs: body.ClientIDs, Issuer: body.Issuer, KeysURL: body.KeysURL})
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, newProviderResponse(t.SocialProvider(m)))
}

type templateResponse struct {
	Purpose string `json:"purpose"`
	Channel string `json:"channel"`
	Own     bool   `json:"own"` // the tenant's; else the default
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
}

type templatesResponse struct {
	Templates []templateResponse `json:"templates"`
}

func templateOf(t *auth.Tenant, scope auth.OTPScope, ch auth.Channel) templateResponse {
	mt, own := t.Template(scope, ch)
	return templateResponse{Purpose: string(scope), Channel: string(ch), Own: own, Subject: mt.Subject, Body: mt.Body}
}

// handleListTemplates is GET /api/v2/tenants/{id}/templates: every
// purpose's message on each channel, the tenant's own or the default.
func (h *Handler) handleListTemplates(w http.ResponseWriter, r *http.Request, c *caller) {
	t, ok := h.readTenant(w, r, c, "read")
	if !ok {
		return
	}
	out := templatesResponse{Templates: []templateResponse{}}
	for _, scope := range auth.Scopes {
		for _, ch := range []auth.Channel{auth.ChannelEmail, auth.ChannelSMS} {
			out.Templates = append(out.Templates, templateOf(t, scope, ch))
		}
	}
	respond(w, http.StatusOK, out)
}

// handleSetTemplate is PUT /api/v2/tenants/{id}/templates/{purpose}/{channel}
// {"subject"?, "body"}: Go text/templates over .Code, .App, .Minutes,
// .Recipient and .Purpose; the body must show .Code. DELETE returns to
// the default (204).
func (h *Handler) handleSetTemplate(w http.ResponseWriter, r *http.Request, c *caller) {
	id, ok := h.targetTenant(w, r, c, "write")
	if !ok {
		return
	}
	var body auth.MessageTemplate
	if r.Method == http.MethodPut {
		var in struct {
			Subject string `json:"subject"`
			Body    string `json:"body"`
		}
		if err := h.decode(w, r, &in); err != nil {
			h.fail(w, r, err)
			return
		}
		if in.Body == "" {
			writeError(w, apiError{codeInvalid, "body is required (DELETE returns to the default)"}, true)
			return
		}
		body = auth.MessageTemplate{Subject: in.Subject, Body: in.Body}
	}
	scope, ch := auth.OTPScope(r.PathValue("purpose")), auth.Channel(r.PathValue("channel"))
	t, err := h.svc.SetMessageTemplate(r.Context(), id, scope, ch, body)
	if err != nil {
		h.tenantFail(w, r, err)
		return
	}
	if r.Method == http.MethodDelete {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	respond(w, http.StatusOK, templateOf(t, scope, ch))
}
