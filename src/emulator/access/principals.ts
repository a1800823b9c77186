import { createHash, randomBytes } from "node:crypto";
import { EMULATOR_USER, EMULATOR_USER_ID } from "../ids.js";

/** Who sent a request: the user its token belongs to. */
export interface Caller {
  userName: string;
  /** SCIM id. */
  id: string;
  displayName: string;
  /** Member of the workspace's `admins` group: every object and privilege is theirs. */
  admin: boolean;
}

/** The workspace admin: the default token, OAuth tokens, and every object nobody else created. */
export const ADMIN: Caller = {
  userName: EMULATOR_USER,
  id: EMULATOR_USER_ID,
  displayName: "Emulator User",
  admin: true,
};

const USER_NAME = /^[^\s@"]+@[^\s@"]+$/;

/** A SCIM id (a 16-digit number, as workspaces show) derived from the user name, stable across restarts. */
function scimIdOf(userName: string): string {
  const digits = BigInt(`0x${createHash("sha256").update(userName).digest("hex").slice(0, 15)}`);
  return String(1_000_000_000_000_000n + (digits % 8_999_999_999_999_999n));
}

/** The workspace's users and the token each one calls with. */
export class Principals {
  readonly users: Caller[];
  readonly #byToken = new Map<string, Caller>();
  readonly #tokenOf = new Map<string, string>();

  constructor(adminToken: string, userNames: readonly string[]) {
    this.users = [ADMIN];
    this.#byToken.set(adminToken, ADMIN);
    for (const userName of userNames) {
      if (!USER_NAME.test(userName)) {
        throw new RangeError(
          `users: "${userName}" is not a user name; give an email address such as alice@example.com`,
        );
      }
      if (this.users.some((u) => u.userName.toLowerCase() === userName.toLowerCase())) {
        throw new RangeError(`users: "${userName}" is listed twice (or is the admin, ${EMULATOR_USER})`);
      }
      const user: Caller = {
        userName,
        id: scimIdOf(userName),
        displayName: userName.split("@")[0]!,
        admin: false,
      };
      const token = `dapi-emulator-${randomBytes(12).toString("hex")}`;
      this.users.push(user);
      this.#byToken.set(token, user);
      this.#tokenOf.set(userName.toLowerCase(), token);
    }
  }

  /** The user a bearer token belongs to. */
  byToken(token: string): Caller | undefined {
    return this.#byToken.get(token);
  }

  /** The token of a user given in `users`. */
  tokenFor(userName: string): string {
    const token = this.#tokenOf.get(userName.toLowerCase());
    if (!token) {
      const known = this.users.filter((u) => !u.admin).map((u) => u.userName);
      throw new RangeError(
        `tokenFor: "${userName}" is not a user of this emulator (${known.length ? known.join(", ") : "none"}); ` +
          "list it in startEmulator({ users }), or use emu.token for the admin",
      );
    }
    return token;
  }
}
