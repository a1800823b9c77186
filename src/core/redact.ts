/**
 * Shorter values are not scrubbed from server text: they would match ordinary words by
 * coincidence, and no real token or secret is that short.
 */
const MIN_SECRET_LENGTH = 8;

/** The credentials inside header values (`Bearer <token>` yields both the value and the token). */
export function secretsOf(headerValues: Iterable<string>): string[] {
  const out: string[] = [];
  for (const v of headerValues) {
    out.push(v);
    const credential = /^\S+ (.+)$/.exec(v)?.[1];
    if (credential) out.push(credential);
  }
  return out;
}

/** Replaces every occurrence of the secrets in `text` (longest first, so no part survives). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join("[REDACTED]");
  }
  return out;
}

/** `redact` applied to every string (keys included) of a JSON-like value. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === "string") return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redact(k, secrets), redactDeep(v, secrets)]),
    ) as T;
  }
  return value;
}
