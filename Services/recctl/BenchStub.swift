struct Bench: ParsableCommand {}
struct BenchModel: ParsableCommand {}
import ArgumentParser
