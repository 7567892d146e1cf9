// netloom/compare: the host-stack comparison: stack factory, runner and report.

export { createMessageStack, type StackAttachment, type StackSpec, type BuiltStack } from "../compare/stack-factory.js";
export {
  runComparison,
  linePayloadBps,
  type ComparisonReport,
  type CompareRow,
  type CompareWorkload,
  type CompareOptions,
} from "../compare/run-compare.js";
export { compareCsv, compareHtml, COMPARE_CSV_COLUMNS } from "../compare/report.js";
