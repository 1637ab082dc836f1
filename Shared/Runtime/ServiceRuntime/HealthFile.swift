import Glibc

/// A file whose modification time is the last moment a replica heard from its broker, for
/// container health checks (`recctl health --file`).
public enum HealthFile {
    public static func touch(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        close(fd)
        utimensat(AT_FDCWD, path, nil, 0)
    }

    /// Milliseconds since the file was last touched; nil when it does not exist.
    public static func ageMilliseconds(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let modified = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000 - modified
    }
}
