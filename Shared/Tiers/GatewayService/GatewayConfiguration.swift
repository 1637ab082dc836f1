import Broker
import ServiceRuntime
import ZeroMQ

/// Settings of the gateway process; the gateway's flags take their defaults from here.
public struct GatewayConfiguration: Sendable {
    /// Where clients connect (the only endpoint users need).
    public var clientBind = DefaultEndpoints.gatewayClients()
    /// Where encoder and scorer replicas connect and register.
    public var workerBind = DefaultEndpoints.gatewayWorkers()
    public var broker = BrokerStateMachine.Configuration()
    public var limits = Limits()
    /// Applied when a request carries no deadline.
    public var defaultDeadline: Duration = .seconds(2)
    /// Deadlines further out are shortened to this, bounding how long state is held.
    public var maxDeadline: Duration = .seconds(60)
    /// Requests in flight before new ones get OVERLOADED.
    public var maxPendingRequests = 1_024
    /// Requests one client connection may have in flight (queued included): one client flooding
    /// the gateway takes this many slots, not all of them.
    public var maxPendingPerClient = 64
    /// Requests one user id may have in flight, whichever connections they come from.
    public var maxPendingPerUser = 16
    /// Jobs waiting for a free worker before new requests get OVERLOADED.
    public var maxQueuedJobs = 4_096
    /// Fewest candidates worth a scorer round trip of their own.
    public var minSliceCandidates = 128
    /// A request of listed candidates that makes a single slice goes straight to a scorer with its
    /// raw history, which the scorer encodes itself: one round trip instead of two, and no keys and
    /// values on the network. With one slice there is no encoding to share between scorers.
    public var singleSliceInOneHop = true
    /// Users whose last good answer is kept to answer them, flagged degraded, when over capacity
    /// (0: off; over capacity is then an OVERLOADED error).
    public var degradedAnswerUsers = 0
    /// Attempts per job before a request fails because its workers keep dying.
    public var maxAttempts = 3
    /// CURVE on the client endpoint (ZAP domain "clients"): users' keys allowed in.
    public var clientCurve: CurveServerSettings?
    /// CURVE on the worker endpoint (ZAP domain "internal"): replicas' keys allowed to register.
    public var workerCurve: CurveServerSettings?
    /// Where `recctl status` and `recctl rollout` connect (loopback by default: it changes traffic).
    public var adminBind = DefaultEndpoints.gatewayAdmin()
    /// Which model version serves which users, until changed at run time (none: the encoders'
    /// active version serves everyone).
    public var split = TrafficSplit.none
    /// "All items" over a catalog larger than this is answered by generative retrieval (when the
    /// request leaves the choice to the gateway): scoring a million items is seconds of work.
    public var generativeAbove = 100_000
    /// Items generated (then scored) when a generative request does not say how many.
    public var defaultBeam = 256
    /// The most a request may ask to generate.
    public var maxBeam = 512
    public var encoderService = "history-encoder"
    public var generatorService = "generator"
    /// Every replica service the gateway brokers for.
    public var services: [String] { [encoderService, scorerService, generatorService] }
    public var scorerService = "scorer"

    public init() {}
}
