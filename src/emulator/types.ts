import type { Principals } from "./access/principals.js";
import type { EmulatorClock } from "./clock.js";
import type { Router } from "./router.js";

/** Shared services of the emulated workspace, handed to every request handler. */
export interface EmulatorContext {
  clock: EmulatorClock;
  /** The state of one service (plain JSON, persisted with the data file). */
  state<S>(service: string): S;
  /** Functions another service exposes (e.g. MLflow logging for notebook runs). */
  service<T>(name: string): T | undefined;
  /** A fresh integer, unique in this workspace and stable across restarts. */
  nextId(): number;
  /** Random bits for ids; seeded, so a test run is repeatable. */
  random(): number;
  /** The emulator's own URL, e.g. for links in responses. */
  url: string;
  /** The workspace's users and their tokens. */
  principals: Principals;
}

/**
 * One emulated REST service: its state, its routes, and how its state machines move with time.
 * A service file exports one of these and is listed in `services/index.ts`.
 */
export interface EmulatorService<S = unknown, E = unknown> {
  name: string;
  init(): S;
  routes(router: Router): void;
  /** Advances the service's state machines to `ctx.clock.now()`; called before each request. */
  tick?(ctx: EmulatorContext): void;
  /** Functions for other services. */
  exports?(ctx: EmulatorContext): E;
}
