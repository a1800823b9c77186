/** The user the emulated workspace acts as: creator of clusters, jobs and runs. */
export const EMULATOR_USER = "emulator@brickml.dev";
