import Clocks
import Logging

/// Watches a model file and installs each new version it finds, off the request path.
public enum ModelReload {
    /// How often tiers check their model file unless told otherwise.
    public static let defaultInterval: Duration = .seconds(2)

    /// Loads the model at `path` (the service's own type), naming its version.
    public typealias Loader<Value> = @Sendable (String) throws -> (version: String, value: Value)

    /// nil when `interval` is zero (reloading off). New versions go into `registry`.
    public static func service<Value>(
        path: String, interval: Duration, logger: Logger, registry: VersionRegistry<Value>, load: @escaping Loader<Value>
    ) -> BlockingLoopService? {
        guard interval > .zero else { return nil }
        return FileWatcher(path: path, interval: interval) {
            do {
                let loaded = try load(path)
                if registry.install(version: loaded.version, value: loaded.value, now: .now) {
                    logger.notice("model version installed", metadata: ["version": "\(loaded.version)", "path": "\(path)"])
                } else {
                    logger.warning(
                        "model file changed but its version is already loaded; change the version to swap",
                        metadata: ["version": "\(loaded.version)"])
                }
            } catch {
                logger.error("new model file could not be loaded; still serving the old one", metadata: ["error": "\(error)"])
            }
        }.service()
    }
}
