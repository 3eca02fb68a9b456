import Tensor

/// Scratch memory for forward passes, owned by one caller (one per worker) and reused across
/// calls: the hot path allocates only when a call needs more rows than any call before it.
/// Not Sendable on purpose: a workspace belongs to one thread of work at a time.
public final class Workspace {
    /// Threads for the elementwise kernels and attention tiles (OpenBLAS has its own setting).
    public let workers: Int
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []

    public init(workers: Int = 2) { self.workers = max(1, workers) }

    deinit { for b in buffers { b.deallocate() } }

    /// The buffer in slot `slot`, at least `count` floats. Contents are not preserved on growth.
    func buffer(_ slot: Slot, count: Int) -> UnsafeMutablePointer<Float> {
        let i = slot.rawValue
        while buffers.count <= i {
            buffers.append(UnsafeMutablePointer<Float>.allocate(capacity: 1))
            capacities.append(1)
        }
        if capacities[i] < count {
            buffers[i].deallocate()
            buffers[i] = UnsafeMutablePointer<Float>.allocate(capacity: count)
            capacities[i] = count
        }
        return buffers[i]
    }

    /// Total floats held (for reports).
    public var floatsHeld: Int { capacities.reduce(0, +) }

    enum Slot: Int {
        case residual, normed, qkv, attention, mlp, scores, patches, pooled, pooledMLP, pooledAttention, keys
    }
}
