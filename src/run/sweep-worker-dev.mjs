// Worker entry when netloom runs from its TypeScript sources (tsx, vitest); the built package
// uses sweep-worker.js directly. See partition-worker-dev.mjs.
import { register } from "tsx/esm/api";

register();
const mod = await import("./sweep-worker");
export default mod.default;
