import CKernels
import Glibc

/// What this CPU can run, read with cpuid and XGETBV (features the OS has not enabled count as
/// absent), and the kernel path chosen from it. Never from a library's guess: OpenBLAS 0.3.21
/// mistakes both CPUs seen here for older ones.
public struct CPU: Sendable, CustomStringConvertible {
    public let brand: String
    let bits: UInt32
    /// Every kernel path this CPU runs, generic first. Stored: training asks per operation.
    public let supportedPaths: [KernelPath]

    public static let current = CPU()

    init() {
        var text = [CChar](repeating: 0, count: 49)
        rs_cpu_brand(&text)
        let brand = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.brand = brand.trimmingSpaces
        bits = rs_cpu_features()
        supportedPaths = Self.paths(bits: bits)
    }

    /// `RS_CPU_*` bit i is `names[i]` (ckernels.h).
    static let names = [
        "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_bf16", "avx512_fp16", "amx_tile",
        "amx_bf16", "amx_int8", "f16c", "avx512_vnni", "avx_vnni",
    ]

    /// The features found, by their usual lower-case names.
    public var features: [String] { Self.names.indices.filter { bits & (1 << $0) != 0 }.map { Self.names[$0] } }

    public func has(_ feature: String) -> Bool { features.contains(feature) }

    /// Whether int8 dot products run in hardware (what makes the int8 dense path pay).
    public var hasInt8DotProduct: Bool { has("avx512_vnni") || has("avx_vnni") || has("amx_int8") }

    /// The fastest kernel path this CPU runs.
    public var bestPath: KernelPath { supportedPaths[supportedPaths.count - 1] }

    static func paths(bits: UInt32) -> [KernelPath] {
        func has(_ feature: String) -> Bool { bits & (1 << Self.names.firstIndex(of: feature)!) != 0 }
        var paths: [KernelPath] = [.generic]
        if has("avx2") && has("fma") { paths.append(.avx2) }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(has) { paths.append(.avx512) }
        return paths
    }

    /// The OpenBLAS core type that matches this CPU (nil: leave OpenBLAS's own choice).
    public var openBLASCoreType: String? {
        switch bestPath {
        case .avx512: "SkylakeX"
        case .avx2: "Haswell"
        case .generic: nil
        }
    }

    /// One line for start-up logs: the CPU, its features, and the kernels chosen from them.
    public var kernelChoice: String {
        let blas = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? "OpenBLAS's own choice"
        return "\(self); element-wise kernels \(bestPath), GEMM \(Kernels.gemmLibrary), OpenBLAS core type \(blas)"
    }

    public var description: String {
        "\(brand.isEmpty ? "unknown x86-64" : brand) [\(features.isEmpty ? "baseline x86-64" : features.joined(separator: " "))]"
    }
}

/// Which compiled variant of the element-wise kernels runs (matrix products go to OpenBLAS).
public enum KernelPath: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case generic = 0
    case avx2 = 1
    case avx512 = 2

    public var description: String {
        switch self {
        case .generic: "generic x86-64"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }

    /// The name flags use.
    public var name: String {
        switch self {
        case .generic: "generic"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
