import RecServeProtoC

extension ReplicaStatus {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = proto(in: arena).pointee
        return ProtoWrite.pack(
            &message, size: recserve__v1__replica_status__get_packed_size, pack: recserve__v1__replica_status__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "ReplicaStatus", unpack: recserve__v1__replica_status__unpack,
            free: recserve__v1__replica_status__free_unpacked
        ) { message in ReplicaStatus.read(message) }
    }

    func proto(in arena: ProtoArena) -> UnsafeMutablePointer<Recserve__V1__ReplicaStatus> {
        var message = Recserve__V1__ReplicaStatus()
        recserve__v1__replica_status__init(&message)
        message.n_versions = versions.count
        message.versions = arena.copy(versions.map { arena.cString($0) })
        (message.requests, message.failures) = (requests, failures)
        (message.cache_hits, message.cache_misses, message.busy) = (cacheHits, cacheMisses, busy)
        return arena.object(message)
    }

    static func read(_ message: Recserve__V1__ReplicaStatus) -> ReplicaStatus {
        var status = ReplicaStatus()
        status.versions = ProtoRead.array(message.versions, message.n_versions).map { ProtoRead.string($0) }
        (status.requests, status.failures) = (message.requests, message.failures)
        (status.cacheHits, status.cacheMisses, status.busy) = (message.cache_hits, message.cache_misses, message.busy)
        return status
    }
}

extension VersionShare {
    static func proto(_ shares: [VersionShare], in arena: ProtoArena) -> UnsafeMutablePointer<
        UnsafeMutablePointer<Recserve__V1__VersionShare>?
    >? {
        arena.copy(
            shares.map { share -> UnsafeMutablePointer<Recserve__V1__VersionShare>? in
                var message = Recserve__V1__VersionShare()
                recserve__v1__version_share__init(&message)
                message.version = arena.cString(share.version)
                message.percent = share.percent
                return arena.object(message)
            })
    }

    static func read(_ pointers: UnsafeMutablePointer<UnsafeMutablePointer<Recserve__V1__VersionShare>?>?, _ count: Int)
        -> [VersionShare]
    {
        ProtoRead.array(pointers, count).compactMap { $0?.pointee }.map {
            VersionShare(version: ProtoRead.string($0.version), percent: $0.percent)
        }
    }
}

extension AdminRequest {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__AdminRequest()
        recserve__v1__admin_request__init(&message)
        message.request_id = requestID
        switch command {
        case .status: message.status = 1
        case .setSplit(let shares):
            message.n_set_split = shares.count
            message.set_split = VersionShare.proto(shares, in: arena)
        }
        return ProtoWrite.pack(&message, size: recserve__v1__admin_request__get_packed_size, pack: recserve__v1__admin_request__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "AdminRequest", unpack: recserve__v1__admin_request__unpack,
            free: recserve__v1__admin_request__free_unpacked
        ) { (message) throws(WireError) in
            let split = VersionShare.read(message.set_split, message.n_set_split)
            guard (message.status != 0) != !split.isEmpty else {
                throw WireError(
                    messageType: "AdminRequest", byteCount: bytes.count, reason: "exactly one of status and set_split must be set")
            }
            return AdminRequest(requestID: message.request_id, command: split.isEmpty ? .status : .setSplit(split))
        }
    }
}

extension AdminReply {
    public func encoded() -> [UInt8] {
        let arena = ProtoArena()
        var message = Recserve__V1__AdminReply()
        recserve__v1__admin_reply__init(&message)
        message.request_id = requestID
        switch result {
        case .failure(let error): message.error = ProtoWrite.error(error, in: arena)
        case .success(let status): message.status = status.proto(in: arena)
        }
        return ProtoWrite.pack(&message, size: recserve__v1__admin_reply__get_packed_size, pack: recserve__v1__admin_reply__pack)
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        self = try ProtoRead.unpack(
            bytes, type: "AdminReply", unpack: recserve__v1__admin_reply__unpack, free: recserve__v1__admin_reply__free_unpacked
        ) { message in
            if let error = ProtoRead.error(message.error) { return AdminReply(requestID: message.request_id, result: .failure(error)) }
            return AdminReply(
                requestID: message.request_id, result: .success(message.status.map { GatewayStatus.read($0.pointee) } ?? GatewayStatus()))
        }
    }
}

extension GatewayStatus {
    func proto(in arena: ProtoArena) -> UnsafeMutablePointer<Recserve__V1__GatewayStatus> {
        var message = Recserve__V1__GatewayStatus()
        recserve__v1__gateway_status__init(&message)
        message.n_replicas = replicas.count
        message.replicas = arena.copy(
            replicas.map { replica -> UnsafeMutablePointer<Recserve__V1__ReplicaInfo>? in
                var info = Recserve__V1__ReplicaInfo()
                recserve__v1__replica_info__init(&info)
                info.service = arena.cString(replica.service)
                info.id = arena.cString(replica.id)
                (info.credits, info.outstanding) = (replica.credits, replica.outstanding)
                info.status = replica.status?.proto(in: arena)
                return arena.object(info)
            })
        message.n_split = split.count
        message.split = VersionShare.proto(split, in: arena)
        message.window_seconds = windowSeconds
        message.n_window = window.count
        message.window = arena.copy(
            window.map { stats -> UnsafeMutablePointer<Recserve__V1__WindowStats>? in
                var entry = Recserve__V1__WindowStats()
                recserve__v1__window_stats__init(&entry)
                entry.model_version = arena.cString(stats.modelVersion)
                (entry.requests, entry.failures) = (stats.requests, stats.failures)
                (entry.p50_micros, entry.p99_micros) = (stats.p50Micros, stats.p99Micros)
                return arena.object(entry)
            })
        (message.pending_requests, message.requests_total, message.uptime_seconds) = (pendingRequests, requestsTotal, uptimeSeconds)
        return arena.object(message)
    }

    static func read(_ message: Recserve__V1__GatewayStatus) -> GatewayStatus {
        var status = GatewayStatus()
        status.replicas = ProtoRead.array(message.replicas, message.n_replicas).compactMap { $0?.pointee }.map {
            ReplicaInfo(
                service: ProtoRead.string($0.service), id: ProtoRead.string($0.id), credits: $0.credits, outstanding: $0.outstanding,
                status: $0.status.map { ReplicaStatus.read($0.pointee) })
        }
        status.split = VersionShare.read(message.split, message.n_split)
        status.windowSeconds = message.window_seconds
        status.window = ProtoRead.array(message.window, message.n_window).compactMap { $0?.pointee }.map {
            WindowStats(
                modelVersion: ProtoRead.string($0.model_version), requests: $0.requests, failures: $0.failures,
                p50Micros: $0.p50_micros, p99Micros: $0.p99_micros)
        }
        (status.pendingRequests, status.requestsTotal, status.uptimeSeconds) = (
            message.pending_requests, message.requests_total, message.uptime_seconds
        )
        return status
    }
}
