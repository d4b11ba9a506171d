// Run by TestAPIClient (apiclient_test.go) with node --test, against a
// sessiond it started: @rocket.chat/api-client@0.1.7 from npm, unchanged.
// Environment: BASE_URL, USER, PASSWORD, TOTP_SECRET (base32), TOTP_TIME
// (the server clock, unix seconds).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const { RestClient } = require('@rocket.chat/api-client');

const { BASE_URL, USER, PASSWORD, TOTP_SECRET, TOTP_TIME } = process.env;

// RFC 6238 with SHA-1, 6 digits, 30 s: what an authenticator app shows.
function totp(secret, unixSeconds) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
	const key = Buffer.alloc(Math.floor(bits.length / 8));
	for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
	const mac = crypto.createHmac('sha1', key).update(counter).digest();
	const off = mac[mac.length - 1] & 0xf;
	const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
	return String(n).padStart(6, '0');
}

test('a TOTP login, a 2FA retry, and a personal access token on /v1/me', async () => {
	const now = Number(TOTP_TIME);
	const client = new RestClient({ baseUrl: BASE_URL });

	// 1. Login with the password alone: Rocket.Chat's 401 totp-required.
	// (api-client 0.1.7 retries 2FA only on 400, the twoFactorRequired
	// routes' status; login answers 401, so the caller re-sends the login
	// with the code, as Rocket.Chat's own clients do.)
	let res;
	try {
		await client.post('/v1/login', { user: USER, password: PASSWORD });
		assert.fail('login without a code succeeded');
	} catch (e) {
		res = e;
	}
	assert.strictEqual(res.status, 401);
	const challenge = await res.json();
	assert.strictEqual(challenge.error, 'totp-required');
	assert.strictEqual(challenge.details.method, 'totp');
	assert.deepStrictEqual(challenge.details.availableMethods, ['totp']);

	// 2. The same login with the code.
	const login = await client.post('/v1/login', { user: USER, password: PASSWORD, code: totp(TOTP_SECRET, now) });
	assert.strictEqual(login.status, 'success');
	client.setCredentials({ 'X-User-Id': login.data.userId, 'X-Auth-Token': login.data.authToken });

	// 3. A twoFactorRequired route: the client's own 2FA retry answers
	// the 400 totp-required with x-2fa-code and x-2fa-method.
	const asked = [];
	client.handleTwoFactorChallenge(async ({ method, invalidAttempt }) => {
		asked.push({ method, invalidAttempt });
		return totp(TOTP_SECRET, now + 30);
	});
	const gen = await client.post('/v1/users.generatePersonalAccessToken', { tokenName: 'node-bot', bypassTwoFactor: false });
	assert.strictEqual(gen.success, true);
	assert.deepStrictEqual(asked, [{ method: 'totp', invalidAttempt: false }]);

	// 4. The personal access token works on /v1/me.
	const bot = new RestClient({ baseUrl: BASE_URL, credentials: { 'X-User-Id': login.data.userId, 'X-Auth-Token': gen.token } });
	const me = await bot.get('/v1/me');
	assert.strictEqual(me._id, login.data.userId);
	assert.strictEqual(me.username, USER);
	assert.strictEqual(me.services.totp.enabled, true);
});
