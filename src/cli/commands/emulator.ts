import { parseArgs } from "node:util";
import { FAULT_KINDS } from "../../emulator/faults.js";
import { type FaultKind, startEmulator } from "../../emulator/index.js";
import { type Command, numberOption, parsing, UsageError } from "../command.js";

const USAGE = `Usage: brickml emulator [options]

Starts a local Databricks workspace emulator and prints its URL and token.
Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.

Options:
  --port N                Port to listen on; 0 picks a free one (default 8080)
  --host ADDRESS          Interface to bind (default 127.0.0.1)
  --token T               Bearer token clients must send (default: a random one)
  --time-scale N          Emulator time runs N times faster than wall time (default 600)
  --idle-time-scale N     Idle timers (auto-termination, auto-stop, scale-to-zero) run N
                          times faster than wall time (default 10)
  --idle-floor-seconds N  ...and never end sooner than N wall-clock seconds (default 60)
  --faults RATE           Inject faults into this share of requests, 0 to 1 (default 0)
  --fault-kinds LIST      Comma-separated kinds to inject: ${FAULT_KINDS.join(", ")} (default: all)
  --data FILE             Keep the workspace state in FILE across restarts
  --seed N                Seed of ids and faults, for repeatable runs
  --python PATH           Local mode: run notebooks and serve pickled models with this
                          Python (default: BRICKML_EMULATOR_PYTHON, else python3 when
                          it has pandas)
  --no-python             No local mode: notebooks follow their scripts only
  -h, --help              Show this help`;

export const emulatorCommand: Command = {
  name: "emulator",
  summary: "Start a local Databricks workspace emulator",
  usage: USAGE,
  async run(args, io) {
    const { values } = parsing(() =>
      parseArgs({
        args,
        strict: true,
        options: {
          port: { type: "string" },
          host: { type: "string" },
          token: { type: "string" },
          "time-scale": { type: "string" },
          "idle-time-scale": { type: "string" },
          "idle-floor-seconds": { type: "string" },
          faults: { type: "string" },
          "fault-kinds": { type: "string" },
          data: { type: "string" },
          seed: { type: "string" },
          python: { type: "string" },
          "no-python": { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }),
    );
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const port = numberOption("port", values.port, { integer: true, min: 0, max: 65535 }) ?? 8080;
    const timeScale = numberOption("time-scale", values["time-scale"], { above: 0 });
    const idleTimeScale = numberOption("idle-time-scale", values["idle-time-scale"], { above: 0 });
    const idleFloorSeconds = numberOption("idle-floor-seconds", values["idle-floor-seconds"], { min: 0 });
    const rate = numberOption("faults", values.faults, { min: 0, max: 1 });
    const seed = numberOption("seed", values.seed, { integer: true });
    const kinds = values["fault-kinds"]?.split(",").map((k) => k.trim()) as FaultKind[] | undefined;
    const unknown = kinds?.filter((k) => !FAULT_KINDS.includes(k));
    if (unknown?.length) {
      throw new UsageError(
        `--fault-kinds: unknown kind ${unknown.join(", ")}; use ${FAULT_KINDS.join(", ")}`,
      );
    }
    if (kinds && rate === undefined) throw new UsageError("--fault-kinds needs --faults RATE");
    if (values.token === "") throw new UsageError("--token must not be empty");
    if (values.python === "") throw new UsageError("--python must be the path of a Python interpreter");
    if (values.python !== undefined && values["no-python"]) {
      throw new UsageError("--python and --no-python exclude each other; give one");
    }
    const python = values["no-python"] ? false : values.python;

    // Listen for the stop signals before anything is printed: a script that waits for the banner
    // and then signals must find them in place.
    let onSignal: (signal: NodeJS.Signals) => void = () => {};
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      onSignal = resolve;
    });
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const emu = await startEmulator({
        port,
        ...(values.host ? { hostname: values.host } : {}),
        ...(values.token ? { token: values.token } : {}),
        ...(timeScale !== undefined ? { timeScale } : {}),
        ...(idleTimeScale !== undefined ? { idleTimeScale } : {}),
        ...(idleFloorSeconds !== undefined ? { idleFloorSeconds } : {}),
        ...(rate
          ? { faults: { rate, ...(kinds ? { kinds } : {}), ...(seed !== undefined ? { seed } : {}) } }
          : {}),
        ...(values.data ? { dataFile: values.data } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(python !== undefined ? { python } : {}),
      }).catch((e: NodeJS.ErrnoException) => {
        if (e?.code !== "EADDRINUSE") throw e;
        throw new Error(
          `port ${port} is already in use. Pick another with --port N, or --port 0 for any free port`,
        );
      });
      io.stdout.write(
        [
          `brickml emulator listening on ${emu.url}`,
          `token: ${emu.token}`,
          ...(values.data ? [`state file: ${values.data}`] : []),
          ...(rate ? [`injecting faults into ${rate * 100}% of requests`] : []),
          `local mode: ${emu.localMode.python ? "on" : "off"} — ${emu.localMode.reason}`,
          "",
          "Use it from a shell:",
          `  export DATABRICKS_HOST=${emu.url} DATABRICKS_TOKEN=${emu.token}`,
          "",
          "Press Ctrl+C to stop.",
          "",
        ].join("\n"),
      );
      const signal = await stopped;
      await emu.close();
      io.stdout.write(`Stopped (${signal}).\n`);
      return 0;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
