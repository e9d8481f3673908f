/**
 * Redaction of secrets a server echoes back escaped (issue 13): a password with `"` or `\` must
 * not leak through its JSON-escaped form, and a secret too short to redact is refused and warned
 * about rather than silently kept.
 */
import assert from "node:assert/strict";
import {
  clearSecretsForTesting,
  escapedForms,
  MIN_SECRET_LENGTH,
  redact,
  redactText,
  registerSecret,
} from "./redact.ts";

const PASSWORD = 'pa"ss\\wörd-9';

/** Every way the password could appear, escaped or not. */
function leaks(text: string): string[] {
  return [PASSWORD, ...escapedForms(PASSWORD), "ss\\wörd", "ss\\\\w", "w\\u00f6rd"]
    .filter((form) => text.includes(form));
}

Deno.test("redactText() removes a registered secret in its escaped forms", async (t) => {
  clearSecretsForTesting();
  assert.equal(registerSecret(PASSWORD), true);

  const echoes: [string, string][] = [
    ["raw", `login failed for ${PASSWORD}`],
    ["JSON-escaped (a server echoing the body)", JSON.stringify({ error: `bad ${PASSWORD}` })],
    [
      "Python json.dumps (ensure_ascii)",
      String.raw`{"error": {"message": "Invalid password pa\"ss\\w\u00f6rd-9"}}`,
    ],
    [
      "escaped twice (a JSON body quoted in a JSON string)",
      JSON.stringify({ message: JSON.stringify({ note: PASSWORD }) }),
    ],
    ["URL-encoded", `GET /x?q=${encodeURIComponent(PASSWORD)}`],
    ["HTML-escaped", `<p>${PASSWORD.replace(/"/g, "&quot;")}</p>`],
  ];
  for (const [name, text] of echoes) {
    await t.step(name, () => {
      const out = redactText(text);
      assert.deepEqual(leaks(out), [], out);
      assert.match(out, /\[REDACTED\]/);
    });
  }
  clearSecretsForTesting();
});

Deno.test("redactText() reads secret-named fields as JSON strings", async (t) => {
  clearSecretsForTesting();
  await t.step("an unregistered password with an escaped quote goes whole", () => {
    const text = JSON.stringify({ auth: { password: 'ab"cd\\ef', user: "u" } });
    assert.equal(redactText(text), '{"auth":{"password":"[REDACTED]","user":"u"}}');
  });
  await t.step("the same inside a JSON string", () => {
    const text = JSON.stringify({ message: JSON.stringify({ password: 'ab"cd\\ef', n: 1 }) });
    const out = redactText(text);
    assert.doesNotMatch(out, /cd|ef/);
    assert.equal(JSON.parse(JSON.parse(out).message).password, "[REDACTED]");
    assert.equal(JSON.parse(JSON.parse(out).message).n, 1);
  });
  await t.step("Python's repr", () => {
    assert.equal(
      redactText(`{'password': 'it\\'s me', 'user': 'u'}`),
      `{'password': '[REDACTED]', 'user': 'u'}`,
    );
  });
});

Deno.test("a secret too short to redact is refused (openCloud warns: openstack/secrets_test.ts)", () => {
  clearSecretsForTesting();
  assert.equal(MIN_SECRET_LENGTH, 4);
  assert.equal(registerSecret("abc"), false);
  assert.equal(redactText("abc abcd"), "abc abcd", "not registered: ordinary words stay");
  // Still redacted where its key says what it is.
  assert.deepEqual(redact({ password: "abc" }), { password: "[REDACTED]" });
});
