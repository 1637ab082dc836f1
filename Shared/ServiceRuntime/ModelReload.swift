import Logging

/// Watches a model file and installs each new version it finds, off the request path.
public enum ModelReload {
    /// nil when `intervalMilliseconds` is 0 (reloading off). `load` reads the file and names its
    /// version; `install` adds it to the tier's registry and returns false if already held.
    public static func service<Value>(
        path: String, intervalMilliseconds: Int, logger: Logger,
        load: @escaping @Sendable (String) throws -> (version: String, value: Value),
        install: @escaping @Sendable (String, Value) -> Bool
    ) -> BlockingLoopService? {
        guard intervalMilliseconds > 0 else { return nil }
        return FileWatcher(path: path, intervalMilliseconds: intervalMilliseconds) {
            do {
                let loaded = try load(path)
                if install(loaded.version, loaded.value) {
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
