import CoreMetrics
import Foundation

/// What every process reports about itself, read when scraped: resident memory and CPU time.
struct ProcessMetrics: Sendable {
    let residentBytes: Meter
    let cpuSeconds: Meter

    init(telemetry: Telemetry) {
        residentBytes = telemetry.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.")
        cpuSeconds = telemetry.gauge("recserve_process_cpu_seconds", help: "User and system CPU time spent, in seconds.")
    }

    func update() {
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            residentBytes.set(pages * sysconf(Int32(_SC_PAGESIZE)))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        cpuSeconds.set(seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
}
