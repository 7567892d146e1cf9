// Pacer: the send-time offsets of a constant-rate sender, shared by the frame sources and the
// UDP traffic generators so that every CBR stream in netloom paces the same way.
//
// Offset k is round(k * num / den) (round half up), with num / den the exact period in ns
// (e.g. num = bytes * 8e9, den = bit rate). When num and den are safe integers the quotient and
// remainder are carried from step to step: exact, no drift over any run length. Otherwise
// (fractional rates) it falls back to floating point on k * num / den.

export class Pacer {
  private readonly num: number;
  private readonly den: number;
  private readonly exact: boolean;
  private readonly qStep: number;
  private readonly rStep: number;
  private q = 0;
  private r = 0;
  private k = 0;

  constructor(num: number, den: number) {
    this.num = num;
    this.den = den;
    this.exact = Number.isSafeInteger(num) && Number.isSafeInteger(den) && Number.isSafeInteger(num + 2 * den);
    this.qStep = this.exact ? Math.floor(num / den) : 0;
    this.rStep = this.exact ? num % den : 0;
  }

  reset(): void {
    this.q = 0;
    this.r = 0;
    this.k = 0;
  }

  next(): number {
    const k = this.k++;
    if (!this.exact) return Math.round((k * this.num) / this.den);
    const den = this.den;
    const t = this.q + (2 * this.r >= den ? 1 : 0);
    this.q += this.qStep;
    this.r += this.rStep;
    if (this.r >= den) {
      this.q++;
      this.r -= den;
    }
    return t;
  }
}
