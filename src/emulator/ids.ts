import type { EmulatorContext } from "./types.js";

/** `length` lowercase hex digits from the emulator's seeded random source (repeatable ids). */
export function randomHex(ctx: EmulatorContext, length: number): string {
  let out = "";
  while (out.length < length) out += Math.floor(ctx.random() * 16).toString(16);
  return out;
}

/** A version-4-shaped UUID from the seeded random source. */
export function randomUuid(ctx: EmulatorContext): string {
  const h = randomHex(ctx, 32);
  const variant = "89ab"[Number.parseInt(h[16]!, 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

/** The user every emulated request acts as: one identity, reported alike by every service. */
export const EMULATOR_USER = "emulator-user@example.com";
/** That user's SCIM id. */
export const EMULATOR_USER_ID = "7450911306924581";
