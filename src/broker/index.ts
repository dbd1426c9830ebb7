export { Broker, BrokerError, type BrokerListener, type BrokerOptions, type BrokerStreamSink } from "./broker.js";
