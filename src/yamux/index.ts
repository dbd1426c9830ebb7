export { YamuxSession, YamuxSessionError, type SessionOptions } from "./session.js";
export { YamuxStream, YamuxStreamError } from "./stream.js";
export { decodeHeader, encodeHeader, Flag, FrameReader, FrameType, GoAwayCode, HEADER_SIZE, type Frame, type FrameHeader } from "./frame.js";
