// Searches for sparse multiples Q(x) = P(x) * R(x) of the CRC-32 generator
// P(x) = x^32 + x^26 + x^23 + x^22 + x^16 + x^12 + x^11 + x^10 + x^8 + x^7 + x^5 + x^4 + x^2 + x + 1
// (0x104C11DB7), for the sparse-reduction CRC-32 kernel in assembly/checksum/crc32.ts.
//
// Run: node scripts/crc32-sparse-multiple.mjs [maxDegree5] [maxDegree6]
// (defaults 800 and 300: about a second of one core). Prints every multiple found, the usable
// ones ranked by the cost model (see cost()), and the two the kernel uses (Q1, Q2).
//
// Why: reducing the message modulo Q instead of P costs a few shifts and XORs per 64-bit word
// and no table lookups; since P | Q, the CRC of the remainder (the last D bits) equals the CRC
// of the whole message. A multiple x^D + sum x^d_j + 1 exists at weight w roughly from degree
// ((w-1)! * 2^32)^(1/(w-1)) on (weight 5: ~570, weight 6: ~220), so the search is exhaustive
// over those ranges by meet-in-the-middle on the residues x^i mod P (a weight-w multiple is a
// set of w exponents whose residues XOR to zero).

const POLY = 0x04c11db7; // P without its x^32 term, MSB-first (bit i = coefficient of x^i)

/** r[i] = x^i mod P for i = 0..n, as a 32-bit integer (bit j = coefficient of x^j). */
function residues(n) {
  const r = new Uint32Array(n + 1);
  r[0] = 1;
  for (let i = 1; i <= n; i++) {
    const prev = r[i - 1];
    r[i] = ((prev << 1) ^ (prev & 0x80000000 ? POLY : 0)) >>> 0;
  }
  return r;
}

/** Map from r[a] ^ r[b] to the pairs (a, b), a > b >= 1, both <= n. */
function pairMap(r, n) {
  const m = new Map();
  for (let a = 2; a <= n; a++)
    for (let b = 1; b < a; b++) {
      const key = r[a] ^ r[b];
      const list = m.get(key);
      if (list === undefined) m.set(key, [a, b]);
      else list.push(a, b);
    }
  return m;
}

/** Weight-5 multiples x^D + x^a + x^b + x^c + 1, D > a > b > c >= 1, D <= n. */
function weight5(n) {
  const r = residues(n);
  const pairs = pairMap(r, n);
  const out = [];
  for (let D = 4; D <= n; D++)
    for (let a = 3; a < D; a++) {
      const list = pairs.get((r[D] ^ r[a] ^ 1) >>> 0);
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i += 2) if (list[i] < a) out.push([D, a, list[i], list[i + 1], 0]);
    }
  return out;
}

/** Weight-6 multiples x^D + x^a + x^b + x^c + x^e + 1, D <= n. */
function weight6(n) {
  const r = residues(n);
  const pairs = pairMap(r, n);
  const out = [];
  for (let D = 5; D <= n; D++)
    for (let a = 4; a < D; a++) {
      const ra = r[D] ^ r[a] ^ 1;
      for (let b = 3; b < a; b++) {
        const list = pairs.get((ra ^ r[b]) >>> 0);
        if (list === undefined) continue;
        for (let i = 0; i < list.length; i += 2) if (list[i] < b) out.push([D, a, b, list[i], list[i + 1], 0]);
      }
    }
  return out;
}

/** Q mod P by long division over BigInt (independent of the residue table). */
export function modP(exponents) {
  let q = 0n;
  for (const e of exponents) q ^= 1n << BigInt(e);
  const p = 0x104c11db7n;
  for (let d = exponents[0]; d >= 32; d--) if ((q >> BigInt(d)) & 1n) q ^= p << BigInt(d - 32);
  return q;
}

/**
 * The kernel's cost model for Q = sum x^terms (terms[0] = D, descending), per 64-bit word k
 * (reflected bit order, word = 64 stream bits). Eliminating x^D XORs word k forward by
 * s_j = D - d_j bits for every other term. Write s_j = 64 q_j + r_j. Terms with the same r form a group g;
 * the group's contribution to word k is (X_k << r) ^ (X_{k-1} >>> (64 - r)) with X_k = XOR of the
 * effective words e_{k - q_j} over the group (only X_k when r = 0). So a group of m terms costs m
 * XORs when r = 0, and m + 3 operations (m - 1 XORs, 2 shifts, 2 XORs) otherwise; plus one load
 * per word. The smallest shift must be at least 64 (no dependency inside a word). What is left,
 * the last ceil(D / 8) .. +7 bytes, goes to the next stage (the kernel pads the message to whole
 * words, so Q1 always leaves 96 bytes and Q2 40), so a larger D costs a longer tail. est1042 is a
 * rough cycle estimate for a 1042-byte frame with this multiple alone; the kernel's crossovers
 * were measured, not taken from it.
 */
function cost(terms) {
  const D = terms[0];
  const shifts = terms.slice(1).map((d) => D - d);
  const groups = new Map();
  for (const s of shifts) {
    const g = groups.get(s % 64) ?? [];
    g.push(Math.floor(s / 64));
    groups.set(s % 64, g);
  }
  let ops = 1; // the load
  for (const [rem, qs] of groups) ops += rem === 0 ? qs.length : qs.length + 3;
  const minShift = Math.min(...shifts);
  const tailBytes = Math.ceil(D / 8);
  // Rough cycles for a 1042-byte frame: bulk words at ~3.5 ops/cycle, tail at ~1 byte/cycle.
  const est1042 = ((1042 - tailBytes) / 8) * (ops / 3.5) + tailBytes;
  return { D, shifts, groups: [...groups].map(([rem, qs]) => ({ r: rem, q: qs })), ops, minShift, tailBytes, est1042 };
}

function describe(terms) {
  return terms.map((e) => (e === 0 ? "1" : e === 1 ? "x" : `x^${e}`)).join(" + ");
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const n5 = Number(process.argv[2] ?? 800);
  const n6 = Number(process.argv[3] ?? 300);
  const found = [...weight5(n5), ...weight6(n6)];
  for (const t of found) if (modP(t) !== 0n) throw new Error(`not a multiple: ${describe(t)}`);
  const usable = found.map((t) => ({ t, c: cost(t) })).filter(({ c }) => c.minShift >= 64);
  console.log(
    `weight 5 up to degree ${n5}, weight 6 up to ${n6}: ${found.length} multiples, ${usable.length} with every shift >= 64 bits`,
  );
  for (const { t, c } of [...usable].sort((x, y) => x.c.est1042 - y.c.est1042)) {
    const g = c.groups.map((x) => `r${x.r}:q[${x.q.join(",")}]`).join(" ");
    console.log(
      `  w${t.length} D=${String(c.D).padStart(4)} ops/word=${String(c.ops).padStart(2)} tail=${String(c.tailBytes).padStart(3)} B est1042=${c.est1042.toFixed(0).padStart(4)}  ${g}   ${describe(t)}`,
    );
  }
  for (const t of found.filter((t) => cost(t).minShift < 64))
    console.log(`  (shift < 64, unusable) w${t.length} D=${t[0]}  ${describe(t)}`);
  // The kernel's choice: the lowest-degree usable multiple of each weight. Q1 (weight 5) has the
  // cheapest words; Q2 (weight 6) the shortest tail, for medium inputs and for Q1's tail.
  const lowest = (w) => usable.filter(({ t }) => t.length === w).sort((x, y) => x.t[0] - y.t[0])[0];
  for (const [name, w] of [
    ["Q1", 5],
    ["Q2", 6],
  ]) {
    const pick = lowest(w);
    if (pick === undefined) {
      console.log(`${name}: no usable weight-${w} multiple in range`);
      continue;
    }
    const { t, c } = pick;
    const qr = c.shifts.map((sft) => `${sft} = 64*${Math.floor(sft / 64)}+${sft % 64}`).join(", ");
    console.log(
      `${name} = ${describe(t)}  (degree ${c.D}; shifts ${qr}; ${c.ops} ops/word; leaves ${c.tailBytes}..${c.tailBytes + 7} bytes)`,
    );
  }
}
