// window kernels: exports (send/receive windows over wrapping sequence numbers, RFC 6298 RTO).
// Statuses and layout are documented in ./window.ts; seq.ts holds the one sequence comparison.
export {
  windowTableBytes,
  windowTableInit,
  windowOpen,
  windowConfigRto,
  windowSetReceiveWindow,
  windowSetSendWindow,
  windowMark,
  windowMarkBatch,
  windowHoles,
  windowRanges,
  windowHighestReceived,
  windowRttSample,
  windowOnTimeout,
  windowOnSend,
  windowOnAck,
  windowAckBatch,
  windowSendBatch,
  windowOnSack,
  windowRetransmitList,
  windowRto,
} from "./window";
