export { LinkType, type PacketSink } from './types.js';
export {
  CaptureParser,
  DEFAULT_BUFFER_BYTES,
  MAX_PACKET_BYTES,
  type CaptureFailure,
  type CaptureFormat,
  type CaptureParseSummary,
  type CaptureParserOptions,
} from './capture-parser.js';
export { CaptureError, closeCapture, openCapture, type OpenedCapture, type CaptureErrorCode, type CaptureReadResult } from './file-source.js';
export { CaptureInput, ReadControl, readCaptureFile, readMerged, readOne } from './inputs.js';
