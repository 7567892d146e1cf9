// Worker entry when netloom runs from its TypeScript sources (tsx, vitest): registers tsx in
// the worker thread, then hands piscina the real task. The built package uses
// partition-worker.js directly.
import { register } from "tsx/esm/api";

register();
const mod = await import("./partition-worker");
export default mod.default;
