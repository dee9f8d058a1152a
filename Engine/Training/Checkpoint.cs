using System.Security.Cryptography;
using System.Text;
using Engine.Data;
using Engine.Optimizers;
using Engine.Serialization;

namespace Engine.Training;

/// <summary>
/// The checkpoint file of <see cref="TrainingOptions.CheckpointPath"/>, version 1 (little-endian; BinaryWriter strings):
/// <code>
/// "SIMDCKPT", u16 version 1
/// string   what the run is: the network's layers and seed, every training option, the data (name, count, shape, label hash)
/// i32 epochs done, i64 steps done in the run, i64 the network's trained steps (dropout's step numbers)
/// i32 n, bytes   the model file of the network (weights, running statistics, input normalisation)
/// string optimizer, i32 step count, i32 parameters, i32 vectors, f32 × (vectors · parameters)   the optimizer's state
/// u64 × 4, u8 has spare, f64 spare, i32 n, i32 × n   the shuffling generator and the current order
/// f64 best, i32 best epoch, i32 wait, u8 has best weights, [i32 n, f32 × n, i32 m, f32 × m]   early stopping
/// i32 epochs, per epoch: i32 epoch, i32 epochs, f64 × 4 (losses, accuracies), i64 elapsed ticks, f64 images/s, f64 learning rate
/// 32 bytes SHA-256 of everything before
/// </code>
/// Written to a temporary file and renamed, after every epoch, so an interruption loses at most the epoch in progress.
/// </summary>
internal static class Checkpoint
{
    private static ReadOnlySpan<byte> Magic => "SIMDCKPT"u8;
    private const ushort Version = 1;
    private const int HashLength = 32;

    /// <summary>A description of what a run trains, one setting per line: a checkpoint resumes only a run that describes itself the same.</summary>
    public static string Describe(Network network, Dataset train, Dataset? validation, TrainingOptions o)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"input={network.InputShape} seed={network.Seed} init={network.DefaultInit}");
        foreach (var layer in network.Leaves) sb.AppendLine($"layer={layer}");
        sb.AppendLine($"train={train.Name} count={train.Count} shape={train.SampleShape} labels={LabelHash(train)}");
        sb.AppendLine(validation is null ? "validation=none" : $"validation={validation.Name} count={validation.Count} labels={LabelHash(validation)}");
        sb.AppendLine($"epochs={o.Epochs} batch-size={o.BatchSize} batches={o.Batches} shuffle={o.Shuffle} shuffle-seed={o.ShuffleSeed}");
        sb.AppendLine($"loss={o.Loss} optimizer={o.Optimizer} l2={o.L2:R} l2-style={o.L2Style} weight-decay={o.WeightDecay:R} schedule={o.Schedule?.Name ?? "none"}");
        sb.AppendLine($"clip={o.ClipGradientNorm:R} early-stopping={o.EarlyStopping} augmentation={o.Augmentation} normalize={o.NormalizeInputs}");
        sb.AppendLine($"evaluate-training-set={o.EvaluateTrainingSet} evaluation-batch={o.EvaluationBatchSize}");
        if (o.ValidationAugmentation != TestTimeAugmentation.None) sb.AppendLine($"validation-augmentation={o.ValidationAugmentation}");
        return sb.ToString();
    }

    private static ulong LabelHash(Dataset data)
    {
        ulong h = 14695981039346656037UL;
        foreach (int label in data.Labels) h = (h ^ (uint)label) * 1099511628211UL;
        return h;
    }

    /// <summary>Writes the checkpoint of <paramref name="run"/> atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, string description, Network network, Optimizer optimizer, TrainingRun run, long trainedSteps)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(description);
            w.Write(run.EpochsDone);
            w.Write(run.StepsDone);
            w.Write(trainedSteps);
            var model = ModelFile.Serialize(network.ToModelContents());
            w.Write(model.Length);
            w.Write(model);
            var state = optimizer.SaveState();
            w.Write(state.OptimizerName);
            w.Write(state.StepCount);
            w.Write(state.ParameterCount);
            w.Write(state.VectorCount);
            WriteFloats(w, state.Values);
            var (s0, s1, s2, s3, spare) = run.Shuffler.State;
            w.Write(s0); w.Write(s1); w.Write(s2); w.Write(s3);
            w.Write(spare.HasValue);
            w.Write(spare ?? 0.0);
            w.Write(run.Order.Length);
            foreach (int i in run.Order) w.Write(i);
            w.Write(run.Best);
            w.Write(run.BestEpoch);
            w.Write(run.Wait);
            w.Write(run.BestWeights.HasValue);
            if (run.BestWeights is { } best)
            {
                w.Write(best.Parameters.Length); WriteFloats(w, best.Parameters);
                w.Write(best.State.Length); WriteFloats(w, best.State);
            }
            w.Write(run.History.Epochs.Count);
            foreach (var e in run.History.Epochs)
            {
                w.Write(e.Epoch); w.Write(e.Epochs);
                w.Write(e.TrainLoss); w.Write(e.TrainAccuracy); w.Write(e.ValidationLoss); w.Write(e.ValidationAccuracy);
                w.Write(e.Elapsed.Ticks); w.Write(e.TrainingImagesPerSecond); w.Write(e.LearningRate);
            }
        }
        stream.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(stream.GetBuffer().AsSpan(0, (int)stream.Length));
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Restores <paramref name="network"/>, <paramref name="optimizer"/> and <paramref name="run"/> from the checkpoint at
    /// <paramref name="path"/>, which must describe the same run; returns the network's trained steps.
    /// </summary>
    /// <exception cref="ModelFileException">The file is unreadable, damaged, of another kind, or describes another run.</exception>
    public static long Restore(string path, string description, Network network, Optimizer optimizer, TrainingRun run)
    {
        byte[] bytes = BoundedFile.ReadAllBytes(path, int.MaxValue, (p, m) => new ModelFileException(p, m));
        if (bytes.Length < Magic.Length + 2 + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new ModelFileException(path, "not a SimdCnn checkpoint (it does not start with \"SIMDCKPT\").");
        int body = bytes.Length - HashLength;
        if (!SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(bytes.AsSpan(body)))
            throw new ModelFileException(path, "corrupt: the checkpoint's checksum does not match its contents.");
        using var stream = new MemoryStream(bytes, 0, body, writable: false);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            stream.Position = Magic.Length;
            ushort version = r.ReadUInt16();
            if (version != Version) throw new ModelFileException(path, $"checkpoint version {version}; this build reads version {Version}.");
            string stored = r.ReadBounded(body, 1 << 20, "run description");
            if (stored != description)
            {
                var (there, here) = FirstDifference(stored, description);
                throw new CheckpointMismatchException(path, there, here);
            }
            int epochs = r.ReadInt32();
            long steps = r.ReadInt64(), trainedSteps = r.ReadInt64();
            var model = ModelFile.Deserialize(r.ReadBytes(Length(r, body)), path);
            network.SetParameters(model.Parameters.Span);
            var stateTarget = network.State;
            if (model.State.Length != stateTarget.Length) throw new ModelFileException(path, "its running statistics do not fit the network.");
            model.State.Span.CopyTo(stateTarget);
            string name = r.ReadBounded(body, 256, "optimizer name");
            int stepCount = r.ReadInt32(), parameters = r.ReadInt32(), vectors = r.ReadInt32();
            var values = ReadFloats(r, body, (long)parameters * vectors);
            optimizer.LoadState(new OptimizerState(name, stepCount, parameters, vectors, values));
            var spareHas = (S0: r.ReadUInt64(), S1: r.ReadUInt64(), S2: r.ReadUInt64(), S3: r.ReadUInt64(), Has: r.ReadBoolean(), Spare: r.ReadDouble());
            run.Shuffler.State = (spareHas.S0, spareHas.S1, spareHas.S2, spareHas.S3, spareHas.Has ? spareHas.Spare : null);
            int count = r.ReadInt32();
            if (count != run.Order.Length) throw new ModelFileException(path, $"its training order has {count} images, the data {run.Order.Length}.");
            for (int i = 0; i < count; i++) run.Order[i] = r.ReadInt32();
            run.Best = r.ReadDouble();
            run.BestEpoch = r.ReadInt32();
            run.Wait = r.ReadInt32();
            if (r.ReadBoolean())
            {
                var bestParameters = ReadFloats(r, body, r.ReadInt32());
                var bestState = ReadFloats(r, body, r.ReadInt32());
                run.BestWeights = (bestParameters, bestState);
            }
            int reports = r.ReadInt32();
            if (reports != epochs) throw new ModelFileException(path, $"corrupt: {reports} epoch reports for {epochs} epochs.");
            var history = new History();
            for (int i = 0; i < reports; i++)
                history.Add(new EpochReport(r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(),
                    TimeSpan.FromTicks(r.ReadInt64()), r.ReadDouble()) { LearningRate = r.ReadDouble() });
            if (stream.Position != body) throw new ModelFileException(path, "corrupt: bytes follow the checkpoint.");
            (run.EpochsDone, run.StepsDone, run.History) = (epochs, steps, history);
            return trainedSteps;
        }
        catch (EndOfStreamException e) { throw new ModelFileException(path, "truncated: the checkpoint ends early.", e); }
        catch (InvalidDataException e) { throw new ModelFileException(path, "corrupt: " + e.Message, e); }
        catch (ArgumentException e) { throw new ModelFileException(path, "corrupt: " + e.Message, e); }
        catch (InvalidOperationException e) { throw new ModelFileException(path, "it does not fit: " + e.Message, e); }
    }

    /// <summary>The first line (trimmed) where the two descriptions differ.</summary>
    private static (string Stored, string Current) FirstDifference(string stored, string current)
    {
        var a = stored.Split('\n');
        var b = current.Split('\n');
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            string x = i < a.Length ? a[i].Trim() : "", y = i < b.Length ? b[i].Trim() : "";
            if (x != y) return (x, y);
        }
        return (stored, current);
    }

    private static int Length(BinaryReader r, int body)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > body - r.BaseStream.Position) throw new EndOfStreamException();
        return n;
    }

    private static void WriteFloats(BinaryWriter w, ReadOnlySpan<float> values)
    {
        foreach (float v in values) w.Write(v);
    }

    private static float[] ReadFloats(BinaryReader r, int body, long count)
    {
        if (count < 0 || count * 4 > body - r.BaseStream.Position) throw new EndOfStreamException();
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadSingle();
        return values;
    }
}
