/**
 * Root hooks of the engine layer (loaded first, with mocha's --file): the world is started once by
 * the first test file that needs it and stopped after the last, and the fault matrix that every file
 * adds to is printed at the end.
 */
import { printMatrix, recordedFaults } from "./matrix";
import { stopWorld } from "./world";

after(async function () {
  this.timeout(300_000);
  printMatrix(recordedFaults());
  await stopWorld();
});
