/**
 * The errors of the wire itself, below any HTTP status: a refused redirect, an answer over the
 * byte cap, a TLS failure with its cause named, and a network failure described by its real cause
 * (fetch's own message is only "fetch failed"; the reason is in its `cause` chain).
 *
 * None of them is retried by the transport except a plain network failure (`TransportError`).
 */
import { SnapsentryError, TransportError } from "../errors.ts";

/** Why a redirect was not followed. */
export type RedirectRefusal = "cross_origin" | "auth_request" | "too_many" | "bad_location";

/** A redirect the transport would not follow: credentials never leave the origin they were for. */
export class RedirectError extends SnapsentryError {
  readonly method: string;
  /** The URL that answered with the redirect (safe to show). */
  readonly url: string;
  /** Where it pointed (safe to show). */
  readonly location: string;
  readonly refusal: RedirectRefusal;
  constructor(
    init: {
      method: string;
      url: string;
      location: string;
      status: number;
      refusal: RedirectRefusal;
      limit?: number;
    },
  ) {
    const { method, url, location, status } = init;
    const why: Record<RedirectRefusal, [string, string]> = {
      cross_origin: [
        `the server redirected (${status}) to ${location}, another origin (scheme, host or port ` +
        "differ), and snapsentry never sends the token or the request body across origins",
        "point the endpoint (auth_url, the catalog entry or *_endpoint_override) at the final URL " +
        "if you trust it",
      ],
      auth_request: [
        `Keystone answered ${status} with a redirect to ${location}, and authentication requests ` +
        "never follow a redirect (they carry the password or secret)",
        "set auth_url to the URL Keystone redirects to, if you trust it",
      ],
      too_many: [
        `the server redirected more than ${init.limit ?? 0} times (last to ${location})`,
        "point the endpoint at the final URL; a redirect loop is a server or proxy problem",
      ],
      bad_location: [
        `the server redirected (${status}) to "${location}", which is not a URL`,
        "this is a server or proxy problem; report it to the cloud operator",
      ],
    };
    const [state, hint] = why[init.refusal];
    super(`Cannot ${method} ${url}: ${state}`, {
      code: init.refusal === "too_many" ? "too_many_redirects" : "redirect_refused",
      hint,
    });
    this.name = "RedirectError";
    this.method = method;
    this.url = url;
    this.location = location;
    this.refusal = init.refusal;
  }
}

/** An answer larger than the byte cap of one response. Final: repeating it would not shrink it. */
export class ResponseTooLargeError extends SnapsentryError {
  readonly method: string;
  readonly url: string;
  readonly limitBytes: number;
  constructor(init: { method: string; url: string; limitBytes: number; declared?: number }) {
    const size = init.declared !== undefined
      ? `declares ${formatBytes(init.declared)}`
      : "goes on past that";
    super(
      `Cannot read the answer to ${init.method} ${init.url}: it ${size}, over the limit of ${
        formatBytes(init.limitBytes)
      } per response`,
      {
        code: "response_too_large",
        hint: "a page of 1,000 volumes is under 5 MiB, so this is a server or proxy problem; " +
          "report it to the cloud operator, or raise the limit with --max-response-size",
      },
    );
    this.name = "ResponseTooLargeError";
    this.method = init.method;
    this.url = init.url;
    this.limitBytes = init.limitBytes;
  }
}

/** "64 MiB", "1.5 KiB", "12 bytes". */
export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 || Number.isInteger(v) ? String(v) : v.toFixed(1);
  return `${text} ${units[i]}`;
}

/** What went wrong in a TLS handshake, as far as the error tells. */
export type TlsProblem =
  | "unknown_issuer"
  | "expired"
  | "not_yet_valid"
  | "hostname_mismatch"
  | "client_certificate_required"
  | "client_certificate_rejected"
  | "handshake_failure"
  | "not_tls"
  | "bad_certificate";

/**
 * A TLS failure: a certificate the client does not accept, or a server that refused ours. Final:
 * a certificate does not fix itself between two attempts, and six retries only hid the cause.
 */
export class TlsError extends TransportError {
  readonly problem: TlsProblem;
  constructor(
    message: string,
    init: { method: string; url: string; problem: TlsProblem },
    options: { hint: string; cause?: unknown },
  ) {
    super(message, init, { code: "tls_error", ...options });
    this.name = "TlsError";
    this.problem = init.problem;
  }
}

/** The messages of an error and its causes, outermost first. */
function messageChain(error: unknown): string[] {
  const out: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 6 && e !== undefined && e !== null; i++) {
    out.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? (e as { cause?: unknown }).cause : undefined;
  }
  return out;
}

/**
 * The informative part of a fetch failure: the deepest message of the cause chain without the
 * "error sending request for url (…)" wrapper (which repeats the URL, query secrets included).
 */
export function networkDetail(error: unknown): string {
  const chain = messageChain(error).filter((m) => m && m !== "fetch failed");
  const deepest = chain.at(-1) ?? "fetch failed";
  return deepest.replace(/^error sending request for url \([^)]*\):\s*/i, "");
}

const CA_HINT = "set cacert in clouds.yaml to the CA (PEM) that signed the server's certificate";

function unixToIso(seconds: string | undefined): string | undefined {
  if (!seconds) return undefined;
  const n = Number(seconds);
  return Number.isFinite(n) ? new Date(n * 1000).toISOString().replace(".000Z", "Z") : undefined;
}

/**
 * Names the TLS problem in a fetch failure, from rustls' messages (Deno's TLS stack) in both their
 * current ("invalid peer certificate: UnknownIssuer", "certificate expired: …") and older
 * ("InvalidCertificate(Expired)") spellings; undefined when the failure is not about TLS.
 */
export function classifyTls(
  error: unknown,
): { problem: TlsProblem; state: string; hint: string } | undefined {
  const text = messageChain(error).join(" | ");
  const peer = /invalid peer certificate|InvalidCertificate/i.test(text);
  if (peer && /UnknownIssuer|unknown issuer|self[- ]signed/i.test(text)) {
    return {
      problem: "unknown_issuer",
      state: "the server's TLS certificate is signed by an issuer this client does not trust " +
        "(unknown issuer)",
      hint: `${CA_HINT}; the system's CAs are used when cacert is not set`,
    };
  }
  if (peer && /expired/i.test(text)) {
    const after = unixToIso(/not valid after (\d+)/i.exec(text)?.[1]);
    return {
      problem: "expired",
      state: `the server's TLS certificate has expired${after ? ` (on ${after})` : ""}`,
      hint: "the cloud operator must renew it, or this machine's clock is wrong; cacert " +
        "cannot make an expired certificate valid",
    };
  }
  if (peer && /NotValidYet|not valid yet|not valid before/i.test(text)) {
    return {
      problem: "not_yet_valid",
      state: "the server's TLS certificate is not valid yet",
      hint: "check this machine's clock; cacert cannot make the certificate valid earlier",
    };
  }
  if (peer && /not valid for name|NotValidForName/i.test(text)) {
    const only = /only valid for (.+)$/i.exec(text.split(" | ").at(-1) ?? "")?.[1];
    const names = only
      ? `; it names ${only.replace(/(DnsName|IpAddress)\("?([^")]*)"?\)/g, "$2")}`
      : "";
    return {
      problem: "hostname_mismatch",
      state:
        `the server's TLS certificate is not valid for this host name (hostname mismatch${names})`,
      hint: "use the host name the certificate names in auth_url or the endpoint; cacert " +
        "does not help when the name differs",
    };
  }
  if (peer) {
    return {
      problem: "bad_certificate",
      state: `the server's TLS certificate was refused (${networkDetail(error)})`,
      hint: CA_HINT,
    };
  }
  if (/fatal alert: CertificateRequired/i.test(text)) {
    return {
      problem: "client_certificate_required",
      state: "the server requires a TLS client certificate and none was sent",
      hint: "set cert and key in clouds.yaml to a client certificate the server accepts " +
        "(and cacert to the CA of the server's own certificate)",
    };
  }
  if (
    /fatal alert: (BadCertificate|UnknownCA|CertificateUnknown|AccessDenied|CertificateExpired|CertificateRevoked|UnsupportedCertificate)/i
      .test(text)
  ) {
    return {
      problem: "client_certificate_rejected",
      state: `the server rejected the TLS client certificate (${networkDetail(error)})`,
      hint: "check cert and key in clouds.yaml: the server must trust the certificate's CA; " +
        "cacert only sets which CAs this client trusts",
    };
  }
  if (/fatal alert: HandshakeFailure/i.test(text)) {
    return {
      problem: "handshake_failure",
      state: "the server refused the TLS handshake (it may require a client certificate)",
      hint: "set cert and key in clouds.yaml if the server needs a client certificate, and " +
        "cacert to the CA of the server's certificate",
    };
  }
  if (
    /InvalidContentType|corrupt message|wrong version number|HTTP response to HTTPS/i.test(text)
  ) {
    return {
      problem: "not_tls",
      state: "the server does not speak TLS on this port",
      hint: "use http:// for this endpoint or the TLS port of the service; cacert does not apply",
    };
  }
  return undefined;
}

/**
 * The error for a failed fetch: a {@link TlsError} naming the cause, or a {@link TransportError}
 * carrying the real network reason ("connection refused") rather than "fetch failed".
 */
export function networkError(
  error: unknown,
  init: { method: string; url: string; timedOut: boolean; timeoutMs: number },
): TransportError {
  const { method, url } = init;
  if (init.timedOut) {
    return new TransportError(
      `Cannot ${method} ${url}: no answer within ${init.timeoutMs / 1000} s`,
      { method, url, timedOut: true },
      { cause: error },
    );
  }
  const tls = classifyTls(error);
  if (tls) {
    return new TlsError(`Cannot ${method} ${url}: ${tls.state}`, {
      method,
      url,
      problem: tls.problem,
    }, { hint: tls.hint, cause: error });
  }
  return new TransportError(`Cannot ${method} ${url}: ${networkDetail(error)}`, {
    method,
    url,
  }, { cause: error });
}
