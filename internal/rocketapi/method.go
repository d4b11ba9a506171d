package rocketapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sessiond/sessiond/internal/auth"
	"github.com/sessiond/sessiond/internal/httpkit"
)

// methodCall is the DDP message a method.call body carries as text.
type methodCall struct {
	ID     string
	Method string
	Params []any
}

// readMethodCall reads the DDP message of a method.call body with the
// strict decoder of every body (UTF-8, no lone surrogate, no member named
// twice: a proxy must not see another method or code than sessiond),
// naming the message in its errors (400 invalid-params). Members other
// than msg, id, method and params (DDP's randomSeed) are ignored, as
// Meteor does; a missing or null id or params is empty. A message that is
// not a method call is errBadMethodCall.
func readMethodCall(text string) (methodCall, error) {
	if text == "" {
		return methodCall{}, errBadMethodCall
	}
	var p params
	if err := httpkit.UnmarshalJSONText(`field "message"`, []byte(text), &p); err != nil {
		return methodCall{}, err
	}
	msg, _ := p["msg"].(string)
	method, _ := p["method"].(string)
	id, idOK := p["id"].(string)
	list, listOK := p["params"].([]any)
	if msg != "method" || method == "" || !idOK && p["id"] != nil || !listOK && p["params"] != nil {
		return methodCall{}, errBadMethodCall
	}
	return methodCall{ID: id, Method: method, Params: list}, nil
}

var errBadMethodCall = &apiError{http.StatusBadRequest, failure{Error: "Invalid method call"}}

// methodError is a Meteor.Error as EJSON writes it into a result.
type methodError struct {
	IsClientSafe bool   `json:"isClientSafe"`
	Error        any    `json:"error"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	ErrorType    string `json:"errorType"`
}

func newMethodError(code any, reason string) *methodError {
	c, _ := json.Marshal(code)
	return &methodError{IsClientSafe: true, Error: code, Reason: reason, Message: reason + " [" + strings.Trim(string(c), `"`) + "]", ErrorType: "Meteor.Error"}
}

type methodResult struct {
	Msg    string       `json:"msg"`
	ID     string       `json:"id"`
	Error  *methodError `json:"error,omitempty"`
	Result any          `json:"result,omitempty"`
}

type methodResponse struct {
	Message string `json:"message"`
	Success bool   `json:"success"`
}

// handleMethodCall is POST method.call/:method {message}: Rocket.Chat's
// REST tunnel to its DDP methods, for the TOTP methods its clients call
// there (2fa:enable, 2fa:validateTempToken, 2fa:disable,
// 2fa:regenerateCodes, 2fa:checkCodesRemaining). The answer is always
// 200 with the DDP result, or error, as text; any other method is
// Meteor's "Method not found".
func (h *Handler) handleMethodCall(w http.ResponseWriter, r *http.Request, c *caller) {
	p, err := h.bodyParams(w, r)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	text, _ := p["message"].(string)
	m, err := readMethodCall(text)
	if err != nil {
		writeError(w, translate(err, nil))
		return
	}
	res, merr, err := h.callMethod(r, c, m)
	if err != nil {
		h.failErr(w, r, err, nil)
		return
	}
	out := methodResult{Msg: "result", ID: m.ID, Error: merr, Result: res}
	b, _ := json.Marshal(out)
	respond(w, http.StatusOK, methodResponse{Message: string(b), Success: true})
}

// stringParam reads params[i] as a string.
func stringParam(m methodCall, i int) string {
	if i >= len(m.Params) {
		return ""
	}
	s, _ := m.Params[i].(string)
	return s
}

// callMethod runs one method: a result, a Meteor error for the client,
// or a failure of ours.
func (h *Handler) callMethod(r *http.Request, c *caller, m methodCall) (any, *methodError, error) {
	ctx := r.Context()
	switch m.Method {
	case "2fa:enable":
		en, err := h.svc.BeginTOTP(ctx, tenant, c.user.ID)
		switch auth.ErrorCode(err) {
		case "":
			return map[string]string{"secret": en.Secret, "url": en.URL}, nil, nil
		case auth.EConflict:
			return nil, newMethodError("error-2fa-already-enabled", "Two-factor authentication is already enabled"), nil
		case auth.ENotImplemented:
			return nil, newMethodError("error-2fa-unavailable", auth.ErrorMessage(err)), nil
		}
		return nil, nil, err
	case "2fa:validateTempToken":
		codes, err := h.svc.ConfirmTOTP(ctx, tenant, c.user.ID, stringParam(m, 0))
		switch auth.ErrorCode(err) {
		case "":
		case auth.EInvalid, auth.ENotFound:
			return nil, newMethodError("invalid-totp", "Invalid TOTP provided"), nil
		default:
			return nil, nil, err
		}
		// Turning 2FA on ends every other session (personal access
		// tokens stay), as Rocket.Chat does.
		if _, err := h.svc.RevokeUserSessions(ctx, tenant, c.user.ID, c.session.ID); err != nil {
			return nil, nil, err
		}
		if codes == nil {
			codes = []string{}
		}
		return map[string][]string{"codes": codes}, nil, nil
	case "2fa:disable", "2fa:regenerateCodes":
		proof, err := h.svc.StepUp(ctx, auth.StepUp{
			Session: c.session, User: c.user, Code: stringParam(m, 0), Method: auth.FactorMethodTOTP,
			NoRemember: true, Client: client(r), Origin: auth.OriginRocket,
		})
		if ch, ok := auth.ChallengeOf(err); ok {
			if !ch.Has(auth.FactorMethodTOTP) {
				return nil, newMethodError("invalid-totp", "Invalid TOTP provided"), nil
			}
			return false, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if m.Method == "2fa:disable" {
			n, err := h.svc.RemoveFactors(ctx, c.session, proof, auth.FactorTOTP)
			return err == nil && n > 0, nil, err
		}
		codes, err := h.svc.RegenerateRecoveryCodes(ctx, tenant, c.user.ID)
		if err != nil {
			return nil, nil, err
		}
		return map[string][]string{"codes": codes}, nil, nil
	case "2fa:checkCodesRemaining":
		fs, err := h.svc.Factors(ctx, tenant, c.user.ID)
		if err != nil {
			return nil, nil, err
		}
		on := false
		for _, f := range fs {
			on = on || f.Kind == auth.FactorTOTP && f.Confirmed
		}
		if !on {
			return nil, newMethodError("invalid-totp", "TOTP is not enabled"), nil
		}
		n, err := h.svc.RecoveryCodesLeft(ctx, tenant, c.user.ID)
		if err != nil {
			return nil, nil, err
		}
		return map[string]int{"remaining": n}, nil, nil
	}
	return nil, newMethodError(404, "Method '"+m.Method+"' not found"), nil
}
