import { startEmulator } from "../src/emulator/index.js";
import { Databricks } from "../src/index.js";

// Until the life-cycle workflow lands, the main job checks the client against the emulator.
const emu = await startEmulator();
try {
  const db = new Databricks({ host: emu.url, token: emu.token });
  console.log(`Connected to the emulated workspace at ${db.config.host} (auth: ${db.config.authType})`);
} finally {
  await emu.close();
}
