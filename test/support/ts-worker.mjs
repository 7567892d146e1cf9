// Worker bootstrap for tests: registers tsx's loader in this thread, then imports the
// TypeScript entry named by argv[2]. (Node 20 resolves a worker's entry file before any
// --import hooks run, so a .ts entry cannot be given to new Worker() directly.)
import { register } from "tsx/esm/api";

register();
await import(process.argv[2]);
