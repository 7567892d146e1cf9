// What a host-stack comparison runs: the networks and their links, the stack configurations
// (one column each), the CPU profile and the workloads, normalised (bit/s, ns, bytes). The
// comparison file loader (src/scenario/compare-file.ts) produces it; an embedder may build one
// in code.

import type { CpuProfile } from "../stacks/cost.js";
import type { StackConfiguration } from "../stacks/message-stack.js";

export const COMPARE_NETWORKS = ["ethernet", "atm"] as const;
export type CompareNetwork = (typeof COMPARE_NETWORKS)[number];

export interface CompareLink {
  /** Bits per second (ATM: the line rate; cells go at the rate the SONET framing leaves). */
  rateBps: number;
  /** The rate as written ("OC-3" stays a name for the ATM link). */
  rate: string | number;
  delayNs: number;
}

export interface CompareConfiguration {
  name: string;
  stack: StackConfiguration;
  /** Layer names top to bottom (layered configurations); [] for unet and active-messages. */
  layers: string[];
}

export interface Comparison {
  name: string;
  seed: number;
  profile: CpuProfile;
  networks: Partial<Record<CompareNetwork, CompareLink>>;
  configurations: CompareConfiguration[];
  pingPong: { sizes: number[]; rounds: number };
  oneWay: { sizes: number[]; messages: number };
  /** Output directory, resolved against the file's directory; undefined = not given. */
  outDir: string | undefined;
  source: string | undefined;
}
