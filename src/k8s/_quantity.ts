/**
 * Private to src/k8s/: Kubernetes resource quantities ("500m", "1Gi"), parsed to compare amounts
 * by value. Used by the option checks and by the Deployment diff.
 *
 * @module
 */

export const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX: Record<string, number> = { m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * A quantity in nano-units (the API server's precision, rounded up as it does), or undefined when
 * the text is not a quantity. The server stores quantities in canonical form ("0.5" comes back as
 * "500m", "1024Mi" as "1Gi"), so equal amounts must compare by value, not by text.
 */
export function quantityNanos(text: string): bigint | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [whole = "", fraction = ""] = m[1]!.split(".");
  const sign = text.trim().startsWith("-") ? -1n : 1n;
  let mantissa = BigInt(`${whole}${fraction}` || "0");
  let exp10 = 9 - fraction.length;
  const suffix = m[3] ?? "";
  if (suffix in BINARY_SUFFIX) mantissa <<= BigInt(BINARY_SUFFIX[suffix]!);
  else if (suffix in DECIMAL_SUFFIX) exp10 += DECIMAL_SUFFIX[suffix]!;
  else if (suffix !== "") exp10 += Number(suffix.slice(1));
  if (exp10 >= 0) return sign * mantissa * 10n ** BigInt(exp10);
  const div = 10n ** BigInt(-exp10);
  return sign * ((mantissa + div - 1n) / div);
}
