// Signalling settings and AAL5 traffic of a scenario's `atm` section. Signalling is set up
// (defaults filled in) whenever something uses it: switched circuits, a host failure, or the
// `signalling` key itself. An AAL5 source sends on a pvc or an svc, from one of its ends.

import { editDistance } from "../base/did-you-mean.js";
import { parseByteSize } from "../base/units.js";
import { type AtmScope, atmInt } from "./atm-scope.js";
import type { AtmScenarioPvc, AtmScenarioSvc, AtmScenarioTraffic } from "./atm-types.js";
import type { Obj } from "./checks.js";

export const ATM_SIGNALLING_KEYS = ["delay", "keepAlive", "keepAliveMisses", "setupTimeout", "releaseTimeout"];
export const ATM_TRAFFIC_KEYS = ["name", "type", "pvc", "svc", "from", "pduSize", "rate", "start", "stop", "count"];

export function checkAtmSignalling(s: AtmScope, raw: unknown): void {
  const atm = s.atm;
  if (raw === undefined && atm.svcs.length === 0 && !atm.hosts.some((h) => h.failAtNs !== undefined)) return;
  const c = s.c;
  const sp = `${s.path}.signalling`;
  const o = raw === undefined ? {} : c.mapping(raw, sp, ATM_SIGNALLING_KEYS);
  const positive = (key: string, fallback: number, zero: boolean): number => {
    const ns = c.dur(o?.[key] ?? undefined, `${sp}.${key}`, fallback) ?? fallback;
    if (ns < 0 || (!zero && ns === 0)) {
      c.error(`${sp}.${key}`, `${JSON.stringify(o?.[key])} must be ${zero ? "zero or more" : "more than zero"}`);
      return fallback;
    }
    return ns;
  };
  atm.signalling = {
    delayNs: positive("delay", 50_000, true),
    keepAliveNs: positive("keepAlive", 5_000_000, false),
    keepAliveMisses: atmInt(s, o?.["keepAliveMisses"], `${sp}.keepAliveMisses`, 1, 1000, 3),
    setupTimeoutNs: positive("setupTimeout", 20_000_000, false),
    releaseTimeoutNs: positive("releaseTimeout", 20_000_000, false),
  };
}

export function checkAtmTraffic(s: AtmScope, raw: unknown): void {
  const c = s.c;
  (c.list(raw, `${s.path}.traffic`) ?? []).forEach((v, i) => {
    const p = `${s.path}.traffic[${i}]`;
    const o = c.mapping(v, p, ATM_TRAFFIC_KEYS, ["name", "type", "pduSize"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    if (o["type"] !== "aal5") c.error(`${p}.type`, `${JSON.stringify(o["type"])} is not an ATM traffic type (aal5)`);
    const { pvc, svc } = checkCircuit(s, o, p);
    const from = o["from"] ?? pvc?.path[0] ?? svc?.from;
    if (pvc !== undefined && from !== pvc.path[0] && from !== pvc.path[pvc.path.length - 1]) {
      c.error(`${p}.from`, `${JSON.stringify(from)} is not an end of circuit ${pvc.name}`);
    }
    if (svc !== undefined && from !== svc.from && from !== svc.to) {
      c.error(`${p}.from`, `${JSON.stringify(from)} is not an end of circuit ${svc.name} (${svc.from} or ${svc.to})`);
    }
    const pduBytes = c.rep.units(`${p}.pduSize`, () => parseByteSize(o["pduSize"], `${p}.pduSize`)) ?? 0;
    if (pduBytes < 1 || pduBytes > 65535)
      c.error(`${p}.pduSize`, `${pduBytes} bytes is not an AAL5 PDU size (1 to 65535)`);
    let pdusPerSecond: number | undefined;
    if (o["rate"] !== undefined) {
      if (typeof o["rate"] !== "number" || !(o["rate"] > 0 && o["rate"] < Infinity))
        c.error(`${p}.rate`, `${JSON.stringify(o["rate"])} is not a PDU rate (PDUs per second)`);
      else pdusPerSecond = o["rate"];
    }
    const t: AtmScenarioTraffic = {
      name: name ?? "",
      type: "aal5",
      pvc: pvc?.name ?? "",
      svc: svc?.name,
      from: typeof from === "string" ? from : "",
      pduBytes,
      pdusPerSecond,
      startNs: c.dur(o["start"] ?? undefined, `${p}.start`, 0) ?? 0,
      stopNs: o["stop"] === undefined ? undefined : (c.dur(o["stop"], `${p}.stop`) ?? 0),
      count: o["count"] === undefined ? undefined : atmInt(s, o["count"], `${p}.count`, 0, Number.MAX_SAFE_INTEGER, 0),
    };
    if (name !== undefined && s.atm.traffic.some((x) => x.name === name))
      c.error(`${p}.name`, `duplicate traffic name "${name}"`);
    else if (name !== undefined) s.atm.traffic.push(t);
  });
}

/** The pvc or svc an entry names (exactly one of them). */
function checkCircuit(s: AtmScope, o: Obj, p: string): { pvc?: AtmScenarioPvc; svc?: AtmScenarioSvc } {
  const c = s.c;
  const { pvcs, svcs } = s.atm;
  if (o["svc"] !== undefined && o["pvc"] !== undefined) {
    c.error(`${p}.svc`, "name a pvc or an svc, not both");
    return {};
  }
  if (o["svc"] !== undefined) {
    const svc = svcs.find((x) => x.name === o["svc"]);
    if (svc !== undefined) return { svc };
    const wanted = String(o["svc"]);
    const near = svcs.find((x) => editDistance(x.name, wanted, false) <= 2) ?? pvcs.find((x) => x.name === o["svc"]);
    const hint =
      near === undefined
        ? ""
        : near.name === o["svc"]
          ? ` (${near.name} is a pvc: use pvc:)`
          : ` (did you mean "${near.name}"?)`;
    c.error(`${p}.svc`, `no switched circuit is called ${JSON.stringify(o["svc"])}${hint}`);
    return {};
  }
  if (o["pvc"] === undefined) {
    c.error(p, 'missing required key "pvc" (or "svc" for a switched circuit)');
    return {};
  }
  const pvc = pvcs.find((x) => x.name === o["pvc"]);
  if (pvc !== undefined) return { pvc };
  const asSvc = svcs.some((x) => x.name === o["pvc"]);
  c.error(`${p}.pvc`, `no circuit is called ${JSON.stringify(o["pvc"])}${asSvc ? " (it is an svc: use svc:)" : ""}`);
  return {};
}
