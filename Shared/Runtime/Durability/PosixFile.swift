import Glibc

/// The thin POSIX layer under the durable formats: the only place in this module that calls libc.
public enum PosixFile {
    static func failure(_ path: String, _ operation: String) -> DurabilityError {
        DurabilityError(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }

    /// Writes all of `bytes` to `descriptor`, retrying short writes and EINTR.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(DurabilityError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "write")
            }
            written += n
        }
    }

    public static func read(_ path: String) throws(DurabilityError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, "open") }
        defer { close(descriptor) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "read")
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Replaces `path` with `bytes` so a crash leaves either the old file or the whole new one:
    /// write a temporary file, fsync it, rename it over `path`, fsync the directory.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(DurabilityError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(temporary, "create") }
        do throws(DurabilityError) {
            try writeAll(descriptor, bytes, path: temporary)
            guard fsync(descriptor) == 0 else { throw failure(temporary, "fsync") }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard Glibc.rename(temporary, path) == 0 else { throw failure(path, "rename \(temporary) to") }
        try syncDirectory(containing: path)
    }

    /// Makes a rename or a new file's directory entry durable.
    public static func syncDirectory(containing path: String) throws(DurabilityError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let descriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(directory, "open directory") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(directory, "fsync directory") }
    }

    public static func truncate(_ path: String, to length: Int) throws(DurabilityError) {
        guard Glibc.truncate(path, off_t(length)) == 0 else { throw failure(path, "truncate") }
    }

    public static func remove(_ path: String) throws(DurabilityError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure(path, "remove") }
    }

    public static func rename(_ from: String, to: String) throws(DurabilityError) {
        guard Glibc.rename(from, to) == 0 else { throw failure(from, "rename to \(to)") }
    }

    /// Creates `path` (and its parents) if missing.
    public static func makeDirectory(_ path: String) throws(DurabilityError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw failure(prefix, "mkdir") }
        }
    }

    /// File names (not paths) in `directory`.
    public static func list(_ directory: String) throws(DurabilityError) -> [String] {
        guard let handle = opendir(directory) else { throw failure(directory, "list") }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// A file opened for appending, owned by one thread; `sync` makes what was appended durable.
public final class AppendOnlyFile {
    public let path: String
    private var descriptor: Int32
    public private(set) var size: Int

    public init(path: String) throws(DurabilityError) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PosixFile.failure(path, "open for append") }
        self.path = path
        size = Int(lseek(descriptor, 0, SEEK_END))
        try PosixFile.syncDirectory(containing: path)
    }

    deinit { close(descriptor) }

    public func append(_ bytes: [UInt8]) throws(DurabilityError) {
        try PosixFile.writeAll(descriptor, bytes, path: path)
        size += bytes.count
    }

    public func sync() throws(DurabilityError) {
        guard fdatasync(descriptor) == 0 else { throw PosixFile.failure(path, "fdatasync") }
    }
}
