// The `atm` section of a scenario, normalised: ATM switches, hosts (raw AAL5 or IP over ATM),
// ATM interfaces of routers, links, permanent circuits by path, switched circuits by route,
// signalling settings and AAL5 traffic. Times are ns, sizes bytes; defaults are filled in.
// Validated by scenario-atm.ts, built by atm-build.ts.

export interface AtmScenarioPolicy {
  queueLimit?: number;
  epdThreshold?: number;
  ppd?: boolean;
  randomDiscard?: { threshold: number; probability: number };
}

export interface AtmScenarioSwitch {
  name: string;
  ports: number;
  format: "uni" | "nni";
  vcCapacity: number;
  circuitLimit: number | undefined;
  policy: AtmScenarioPolicy;
  /** Output port -> policy replacing `policy` there. */
  portPolicies: Record<number, AtmScenarioPolicy>;
}

export interface AtmScenarioHost {
  name: string;
  /** "10.2.0.1/24": an IP host over ATM; omitted: raw AAL5 only. */
  address: string | undefined;
  gateway: string | undefined;
  mtu: number | undefined;
  maxPdu: number;
  vcs: number;
  rxBuffers: number;
  /** When the host fails (ns; its switch then releases its switched circuits), or undefined. */
  failAtNs: number | undefined;
}

export interface AtmScenarioRouterInterface {
  router: string;
  name: string;
  address: string;
  mtu: number | undefined;
  maxPdu: number;
}

export interface AtmScenarioEnd {
  /** Host name, switch name, or "router.interface". */
  device: string;
  /** Switch port (0 for hosts and router interfaces). */
  port: number;
}

export interface AtmScenarioLink {
  name: string;
  a: AtmScenarioEnd;
  b: AtmScenarioEnd;
  /** The rate as written ("OC-3", a bit rate, or cells per second). */
  rate: string | number;
  delayNs: number;
  cellLoss: number;
  ber: number;
}

export interface AtmScenarioHop {
  link: string;
  vci: number;
}

export interface AtmScenarioPvc {
  name: string;
  path: string[];
  parity: boolean;
  /** One per link along the path. */
  hops: AtmScenarioHop[];
}

export interface AtmScenarioSvc {
  name: string;
  /** The calling host. */
  from: string;
  /** Output ports, one per switch along the path. */
  route: number[];
  /** The called host (where the route ends). */
  to: string;
  openNs: number;
  /** undefined: none given, the circuit stays up until the run ends. */
  closeNs: number | undefined;
  parity: boolean;
}

export interface AtmScenarioSignalling {
  delayNs: number;
  keepAliveNs: number;
  keepAliveMisses: number;
  setupTimeoutNs: number;
  /** T308: how long a RELEASE waits for RELEASE COMPLETE before it is sent again, then cleared. */
  releaseTimeoutNs: number;
}

export interface AtmScenarioTraffic {
  name: string;
  type: "aal5";
  /** The permanent circuit carrying it ("" when it names an svc). */
  pvc: string;
  /** The switched circuit carrying it, or undefined. */
  svc: string | undefined;
  /** The sending end (an end of the PVC's path, or the svc's caller or called host). */
  from: string;
  pduBytes: number;
  /** PDUs per second; undefined = greedy. */
  pdusPerSecond: number | undefined;
  startNs: number;
  /** undefined: none given, the traffic runs until the run ends. */
  stopNs: number | undefined;
  count: number | undefined;
}

export interface AtmScenario {
  switches: AtmScenarioSwitch[];
  hosts: AtmScenarioHost[];
  routerInterfaces: AtmScenarioRouterInterface[];
  links: AtmScenarioLink[];
  pvcs: AtmScenarioPvc[];
  svcs: AtmScenarioSvc[];
  traffic: AtmScenarioTraffic[];
  /** Signalling settings; undefined when nothing uses signalling (no svcs, no failAt). */
  signalling: AtmScenarioSignalling | undefined;
}

export interface AtmIssue {
  path: string;
  message: string;
}

/** Names the rest of the scenario declares (devices), and its routers. */
export interface AtmKnownNames {
  devices: ReadonlySet<string>;
  routers: ReadonlySet<string>;
}
