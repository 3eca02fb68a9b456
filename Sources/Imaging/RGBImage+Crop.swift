extension RGBImage {
    /// The pixels inside a rectangle, like Pillow's `im.crop((x, y, x + width, y + height))` for a
    /// rectangle inside the image.
    /// - Precondition: the rectangle is non-empty and lies inside the image.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        precondition(
            x >= 0 && y >= 0 && width > 0 && height > 0
                && x + width <= self.width && y + height <= self.height,
            "cropped: rectangle (\(x), \(y), \(width)x\(height)) outside \(self.width)x\(self.height)")
        var out = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    let from = ((y + row) * self.width + x) * 3
                    let to = row * width * 3
                    for i in 0..<(width * 3) { dst[to + i] = src[from + i] }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
