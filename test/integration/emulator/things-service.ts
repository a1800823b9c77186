import { invalidParameter, requireFields } from "../../../src/emulator/errors.js";
import type { EmulatorService } from "../../../src/emulator/index.js";

/** A tiny emulated service used only by the emulator's own tests: things become READY after a minute. */
export interface Thing {
  id: string;
  name: string;
  state: "PENDING" | "READY";
  created_at: number;
  ready_at?: number;
}
export interface ThingsState {
  things: Record<string, Thing>;
}

export const STARTUP_MS = 60_000;

export const thingsService: EmulatorService<ThingsState> = {
  name: "things",
  init: () => ({ things: {} }),
  routes(router) {
    router.post("/api/2.0/things/create", (req) => {
      requireFields(req.body, "name");
      const id = `t-${req.ctx.nextId()}`;
      req.ctx.state<ThingsState>("things").things[id] = {
        id,
        name: String(req.body.name),
        state: "PENDING",
        created_at: req.ctx.clock.now(),
      };
      return { body: { id } };
    });
    router.get("/api/2.0/things/get", (req) => {
      const thing = req.ctx.state<ThingsState>("things").things[String(req.query.id)];
      if (!thing) throw invalidParameter(`Thing ${req.query.id} does not exist.`);
      return { body: thing };
    });
    router.get("/api/2.0/things/list", (req) => ({
      body: { things: Object.values(req.ctx.state<ThingsState>("things").things) },
    }));
    router.get("/api/2.0/things/:id/files/*path", (req) => ({
      body: { id: req.params.id, path: req.params.path },
    }));
    router.post("/api/2.0/things/crash", () => {
      throw new Error("a bug in a handler");
    });
  },
  tick(ctx) {
    for (const thing of Object.values(ctx.state<ThingsState>("things").things)) {
      if (thing.state === "PENDING" && ctx.clock.now() - thing.created_at >= STARTUP_MS) {
        thing.state = "READY";
        thing.ready_at = thing.created_at + STARTUP_MS;
      }
    }
  },
};
