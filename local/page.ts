/** What the try-it page needs to know about the running stack. */
export interface PageSettings {
  /** Where JSON and form submissions go: a protected route's URL on the edge. */
  readonly submitUrl: string;
  /** The origin's record list, through the edge. */
  readonly recordsUrl: string;
  /** The sample origin's sign-up and log-in endpoints, through the edge (searchable email). */
  readonly signupUrl: string;
  readonly loginUrl: string;
}

/**
 * The try-it page: a person types a record, sends it as JSON or as a form, and sees side by side
 * what the browser sent, what the origin stored and what the decrypt endpoint returns. Plain HTML
 * and a little script; every value is shown with textContent, never as markup.
 *
 * Below it, accounts: sign up, then log in by email. The edge turns the email into the searchable
 * marker stored at sign-up, so the sample origin finds the account with `WHERE email = ?` and its
 * UNIQUE index refuses a second sign-up with the same email in other case, with no decrypt at all.
 */
export function renderPage(settings: PageSettings): string {
  const config = JSON.stringify(settings).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-fle: try it</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d232a; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 72rem; padding: 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  p.lead { margin: 0 0 1rem; color: #4a5563; }
  form { display: grid; gap: .6rem; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); background: #fff; padding: 1rem; border-radius: .5rem; box-shadow: 0 1px 3px #0002; }
  label { display: grid; gap: .2rem; font-size: .9rem; }
  input, textarea { font: inherit; padding: .45rem; border: 1px solid #c4cad3; border-radius: .3rem; }
  .actions { display: flex; gap: .6rem; flex-wrap: wrap; align-items: center; grid-column: 1 / -1; }
  button { font: inherit; padding: .55rem 1rem; border: 0; border-radius: .3rem; background: #1f5fbf; color: #fff; cursor: pointer; }
  button.secondary { background: #4a5563; }
  #status { font-size: .9rem; color: #4a5563; }
  .panes { display: grid; gap: .8rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); margin-top: 1rem; }
  section { background: #fff; border-radius: .5rem; padding: .8rem; box-shadow: 0 1px 3px #0002; min-width: 0; }
  h2 { font-size: 1rem; margin: 0 0 .4rem; }
  h2.part { font-size: 1.15rem; margin: 1.4rem 0 .3rem; }
  pre { margin: 0; white-space: pre-wrap; word-break: break-all; font-size: .8rem; max-height: 24rem; overflow: auto; }
</style>
</head>
<body>
<h1>edge-fle: try it</h1>
<p class="lead">Send a record through the local CloudFront stand-in. The origin only ever stores ciphertext; the decrypt endpoint gives it back.</p>
<form id="record">
  <label>First name <input name="fname" value="Alejandro"></label>
  <label>Last name <input name="lname" value="Rosalez"></label>
  <label>Email <input name="email" type="email" value="alejandro.rosalez@example.com"></label>
  <label>SSN <input name="ssn" value="123-45-6789"></label>
  <label>Card number <input name="card_number" value="4111 1111 1111 1111"></label>
  <label>Notes <textarea name="notes" rows="2">prefers "email" &amp; phone</textarea></label>
  <div class="actions">
    <button type="button" id="send-json">Send as JSON</button>
    <button type="button" id="send-form" class="secondary">Send as form</button>
    <span id="status" role="status"></span>
  </div>
</form>
<div class="panes">
  <section><h2>What the browser sent</h2><pre id="sent"></pre></section>
  <section><h2>What the origin stored</h2><pre id="stored"></pre></section>
  <section><h2>What decrypt returns</h2><pre id="decrypted"></pre></section>
</div>
<h2 class="part">Accounts: sign up, then log in by email</h2>
<p class="lead">The email is a searchable field: the edge gives <code> Alice@Example.com </code> and <code>alice@example.com</code> the same marker, so the origin's database finds and deduplicates accounts without ever seeing or decrypting an email.</p>
<form id="account">
  <label>Email <input name="email" id="account-email" value="Alice@Example.com"></label>
  <label>Name <input name="name" id="account-name" value="Alice"></label>
  <div class="actions">
    <button type="button" id="sign-up">Sign up</button>
    <button type="button" id="log-in" class="secondary">Log in</button>
    <span id="account-status" role="status"></span>
  </div>
</form>
<div class="panes">
  <section><h2>What the browser sent</h2><pre id="account-sent"></pre></section>
  <section><h2>What the origin answered (no decrypt)</h2><pre id="account-answer"></pre></section>
</div>
<script>
const settings = ${config};
const $ = (id) => document.getElementById(id);
const show = (id, text) => { $(id).textContent = text; };
function record() {
  const data = Object.fromEntries(new FormData($('record')));
  return data;
}
function pretty(text, type) {
  if (!/json/i.test(type || '')) return text;
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}
async function send(kind) {
  const r = record();
  const body = kind === 'json'
    ? JSON.stringify([{ fname: r.fname, lname: r.lname, email: r.email, ssn: r.ssn, card: { number: r.card_number }, notes: r.notes }])
    : new URLSearchParams(r).toString();
  const type = kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  show('sent', pretty(body, type)); show('stored', ''); show('decrypted', '');
  show('status', 'sending…');
  const answer = await fetch(settings.submitUrl, { method: 'POST', headers: { 'content-type': type }, body });
  if (!answer.ok) { show('status', 'the edge answered ' + answer.status); show('stored', await answer.text()); return; }
  const records = await (await fetch(settings.recordsUrl, { cache: 'no-store' })).json();
  const stored = records[records.length - 1];
  const storedType = stored.headers['content-type'];
  show('stored', pretty(stored.body, storedType));
  // Same origin as this page: the decrypt endpoint answers no cross-origin request.
  const decrypted = await fetch('/decrypt', { method: 'POST', headers: { 'content-type': storedType }, body: stored.body });
  show('decrypted', pretty(await decrypted.text(), storedType));
  show('status', decrypted.ok ? 'done: record ' + stored.id : 'decrypt answered ' + decrypted.status);
}
async function account(kind) {
  const body = new URLSearchParams(kind === 'signup'
    ? { email: $('account-email').value, name: $('account-name').value }
    : { email: $('account-email').value }).toString();
  show('account-sent', body); show('account-answer', ''); show('account-status', 'sending…');
  const answer = await fetch(kind === 'signup' ? settings.signupUrl : settings.loginUrl,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const text = await answer.text();
  show('account-answer', answer.status + '\\n' + pretty(text, 'application/json'));
  const outcome = { 201: 'signed up', 409: 'refused by the database: this email has an account', 200: 'logged in: account found by its email marker', 404: 'no account has this email' };
  show('account-status', outcome[answer.status] || 'the edge answered ' + answer.status);
}
$('sign-up').addEventListener('click', () => account('signup').catch((e) => show('account-status', String(e))));
$('log-in').addEventListener('click', () => account('login').catch((e) => show('account-status', String(e))));
$('send-json').addEventListener('click', () => send('json').catch((e) => show('status', String(e))));
$('send-form').addEventListener('click', () => send('form').catch((e) => show('status', String(e))));
</script>
</body>
</html>
`;
}
