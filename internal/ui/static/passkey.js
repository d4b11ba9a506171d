// Passkeys on the account pages: turns the server's WebAuthn options
// (JSON, binary fields in base64url) into what navigator.credentials
// takes, and the answer back into JSON, which a plain form posts.
(function () {
  'use strict';
  function b64u(buf) {
    var s = '', b = new Uint8Array(buf);
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function bin(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var r = atob(s), b = new Uint8Array(r.length);
    for (var i = 0; i < r.length; i++) b[i] = r.charCodeAt(i);
    return b.buffer;
  }
  function creds(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: bin(c.id) }); });
  }
  function answer(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: b64u(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: b64u(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = b64u(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = b64u(r.authenticatorData);
      out.response.signature = b64u(r.signature);
      if (r.userHandle) out.response.userHandle = b64u(r.userHandle);
    }
    return JSON.stringify(out);
  }
  async function run(button) {
    var form = button.form, status = document.getElementById(button.dataset.status);
    var body = new URLSearchParams(new FormData(form));
    var res = await fetch(button.dataset.options, { method: 'POST', body: body, credentials: 'same-origin' });
    if (res.status === 403 && (res.headers.get('Content-Type') || '').indexOf('application/json') === 0) {
      var r = await res.json();
      if (r.reauth) { window.location.assign(r.reauth); return; }
    }
    if (!res.ok) throw new Error('the server refused to start (' + res.status + ')');
    var o = await res.json(), pk = o.options.publicKey, cred;
    pk.challenge = bin(pk.challenge);
    if (pk.user) {
      pk.user.id = bin(pk.user.id);
      pk.excludeCredentials = creds(pk.excludeCredentials);
      cred = await navigator.credentials.create({ publicKey: pk });
    } else {
      pk.allowCredentials = creds(pk.allowCredentials);
      cred = await navigator.credentials.get({ publicKey: pk });
    }
    form.elements.state.value = o.state;
    form.elements.response.value = answer(cred);
    if (status) status.textContent = 'Checking your passkey…';
    form.submit();
  }
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-passkey]');
    if (!b) return;
    ev.preventDefault();
    var status = document.getElementById(b.dataset.status);
    if (!window.PublicKeyCredential) {
      if (status) status.textContent = 'This browser does not support passkeys.';
      return;
    }
    run(b).catch(function (e) { if (status) status.textContent = 'No passkey was used: ' + e.message; });
  });
})();
