// Release cause values of ATM signalling (the cause byte of RELEASE and RELEASE COMPLETE in
// atm-signalling.ts): their standard meanings and the names stats and reports use.
//
// Contract:
// - sigCauseMeaning(c) is the standard text of cause c: ITU-T Q.2931 (with the ATM Forum UNI
//   3.1 values) where Q.2931 defines the value for ATM, ITU-T Q.850 otherwise; or undefined for
//   a value neither assigns.
// - standardCauseName(c) is the meaning in camelCase ("userBusy"), `cause<N>` only for an
//   unassigned value; sigCauseName (atm-signalling.ts) puts netloom's own names for the causes
//   it sends (SigCause, e.g. "hostFailed") first.
// - sigCauseText(c) is what a person reads: "destination out of order (27)", or "unknown cause N".
// Every value 1..127 may arrive from the wire; none of these functions throws.

/** Standard meanings by value (Q.2931 section 4.5.15 table 4-14 for ATM, Q.850 table 1 otherwise). */
const MEANINGS: readonly (readonly [number, string])[] = [
  [1, "unallocated (unassigned) number"],
  [2, "no route to specified transit network"],
  [3, "no route to destination"],
  [4, "send special information tone"],
  [5, "misdialled trunk prefix"],
  [6, "channel unacceptable"],
  [7, "call awarded and being delivered in an established channel"],
  [8, "preemption"],
  [9, "preemption, circuit reserved for reuse"],
  [10, "VPCI/VCI unacceptable"],
  [16, "normal call clearing"],
  [17, "user busy"],
  [18, "no user responding"],
  [19, "no answer from user (user alerted)"],
  [20, "subscriber absent"],
  [21, "call rejected"],
  [22, "number changed"],
  [23, "user rejects all calls with calling line identification restriction"],
  [26, "non-selected user clearing"],
  [27, "destination out of order"],
  [28, "invalid number format (address incomplete)"],
  [29, "facility rejected"],
  [30, "response to STATUS ENQUIRY"],
  [31, "normal, unspecified"],
  [34, "no circuit/channel available"],
  [35, "requested VPCI/VCI not available"],
  [36, "VPCI/VCI assignment failure"],
  [37, "user cell rate not available"],
  [38, "network out of order"],
  [39, "permanent frame mode connection out of service"],
  [40, "permanent frame mode connection operational"],
  [41, "temporary failure"],
  [42, "switching equipment congestion"],
  [43, "access information discarded"],
  [44, "requested circuit/channel not available"],
  [45, "no VPCI/VCI available"],
  [46, "precedence call blocked"],
  [47, "resource unavailable, unspecified"],
  [49, "quality of service unavailable"],
  [50, "requested facility not subscribed"],
  [51, "user cell rate not available (UNI 3.1)"],
  [53, "outgoing calls barred within CUG"],
  [55, "incoming calls barred within CUG"],
  [57, "bearer capability not authorized"],
  [58, "bearer capability not presently available"],
  [62, "inconsistency in designated outgoing access information and subscriber class"],
  [63, "service or option not available, unspecified"],
  [65, "bearer capability not implemented"],
  [66, "channel type not implemented"],
  [69, "requested facility not implemented"],
  [70, "only restricted digital information bearer capability is available"],
  [73, "unsupported combination of traffic parameters"],
  [78, "AAL parameters cannot be supported"],
  [79, "service or option not implemented, unspecified"],
  [81, "invalid call reference value"],
  [82, "identified channel does not exist"],
  [83, "a suspended call exists, but this call identity does not"],
  [84, "call identity in use"],
  [85, "no call suspended"],
  [86, "call having the requested call identity has been cleared"],
  [87, "user not member of CUG"],
  [88, "incompatible destination"],
  [89, "invalid endpoint reference"],
  [90, "non-existent CUG"],
  [91, "invalid transit network selection"],
  [92, "too many pending add party requests"],
  [93, "AAL parameters cannot be supported (UNI 3.1)"],
  [95, "invalid message, unspecified"],
  [96, "mandatory information element is missing"],
  [97, "message type non-existent or not implemented"],
  [98, "message not compatible with call state or message type non-existent or not implemented"],
  [99, "information element non-existent or not implemented"],
  [100, "invalid information element contents"],
  [101, "message not compatible with call state"],
  [102, "recovery on timer expiry"],
  [103, "parameter non-existent or not implemented, passed on"],
  [104, "incorrect message length"],
  [110, "message with unrecognized parameter, discarded"],
  [111, "protocol error, unspecified"],
  [127, "interworking, unspecified"],
];

const MEANING = new Map<number, string>(MEANINGS);

/** "no user responding" -> "noUserResponding"; "VPCI/VCI unacceptable" -> "vpciVciUnacceptable". */
function camel(text: string): string {
  const words = text
    .replace(/\(.*?\)/g, " ")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "");
  return words
    .map((w, i) => {
      const lower = w.toLowerCase();
      return i === 0 ? lower : lower[0]!.toUpperCase() + lower.slice(1);
    })
    .join("");
}

const STANDARD_NAMES = new Map<number, string>(MEANINGS.map(([c, t]) => [c, camel(t)]));
// Names the parenthesis would otherwise make equal to another value's.
STANDARD_NAMES.set(51, "userCellRateNotAvailableUni31");
STANDARD_NAMES.set(93, "aalParametersCannotBeSupportedUni31");

/** The standard meaning of cause `c`, or undefined when no standard assigns the value. */
export function sigCauseMeaning(c: number): string | undefined {
  return MEANING.get(c);
}

/** The standard camelCase name of an assigned value, else `cause<N>` (netloom's own names come first). */
export function standardCauseName(c: number): string {
  return STANDARD_NAMES.get(c) ?? `cause${c}`;
}

/** "destination out of order (27)", or "unknown cause N" for a value no standard assigns. */
export function sigCauseText(c: number): string {
  const m = MEANING.get(c);
  return m === undefined ? `unknown cause ${c}` : `${m} (${c})`;
}
