import Foundation

/// Why a snapshot or samples file could not be read.
public enum SnapshotFileError: Error, CustomStringConvertible, Equatable {
    /// The file is not JSON of the expected format.
    case notASnapshot(path: String, reason: String)
    /// The file was written by a newer version of smm.
    case unsupportedVersion(path: String, version: Int)
    /// The file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .notASnapshot(let path, let reason): "\(path) is not an smm snapshot: \(reason)"
        case .unsupportedVersion(let path, let version):
            "\(path) has snapshot version \(version); this smm reads version \(Snapshot.currentVersion)"
        case .io(let path, let reason): "cannot access \(path): \(reason)"
        }
    }
}

/// JSON encoding and decoding of snapshots and timelines.
public enum SnapshotCoding {
    /// Pretty, key-sorted JSON of any Encodable value.
    public static func encode<Value: Encodable>(_ value: Value) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// Compact JSON, for embedding.
    public static func encodeCompact<Value: Encodable>(_ value: Value) -> Data {
        (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    }

    /// Writes `value` as JSON to `path`.
    public static func write<Value: Encodable>(_ value: Value, to path: String) throws(SnapshotFileError) {
        do {
            try encode(value).write(to: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads a snapshot file, checking its format and version.
    public static func readSnapshot(_ path: String) throws(SnapshotFileError) -> Snapshot {
        let data = try readData(path)
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw .notASnapshot(path: path, reason: "not a JSON object")
        }
        guard header.format == Snapshot.formatName else { throw .notASnapshot(path: path, reason: "no \"format\": \"\(Snapshot.formatName)\"") }
        guard let version = header.version, version <= Snapshot.currentVersion else {
            throw .unsupportedVersion(path: path, version: header.version ?? -1)
        }
        do {
            return try JSONDecoder().decode(Snapshot.self, from: data)
        } catch {
            throw .notASnapshot(path: path, reason: String(describing: error))
        }
    }

    /// Reads a samples file written by `smm watch -o`.
    public static func readTimeline(_ path: String) throws(SnapshotFileError) -> Timeline {
        let data = try readData(path)
        do {
            let timeline = try JSONDecoder().decode(Timeline.self, from: data)
            guard timeline.format == Timeline.formatName else { throw SnapshotFileError.notASnapshot(path: path, reason: "not a samples file") }
            return timeline
        } catch {
            throw .notASnapshot(path: path, reason: "not an smm samples file (\(error))")
        }
    }

    static func readData(_ path: String) throws(SnapshotFileError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: (error as NSError).localizedFailureReason ?? "no such file or not readable")
        }
    }
}
