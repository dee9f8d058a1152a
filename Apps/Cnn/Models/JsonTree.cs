using System.Text.Json;

namespace Cnn;

/// <summary>
/// A JSON document read into a small tree whose every node knows its line, so a mistake in a hand-written file
/// (an architecture, see <see cref="ArchitectureFile"/>) can be reported as "line 7: …". Comments and trailing
/// commas are allowed. System.Text.Json's own syntax errors keep their line numbers.
/// </summary>
public abstract record LinedNode(int Line)
{
    /// <summary>Parses <paramref name="utf8"/>.</summary>
    /// <exception cref="FormatException">Not JSON; the message starts with <c>line N:</c>.</exception>
    public static LinedNode Parse(ReadOnlySpan<byte> utf8)
    {
        var lineStarts = new List<int> { 0 };
        for (int i = 0; i < utf8.Length; i++) if (utf8[i] == (byte)'\n') lineStarts.Add(i + 1);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
        try
        {
            if (!reader.Read()) throw new FormatException("line 1: the file is empty.");
            var root = ReadValue(ref reader, lineStarts);
            if (reader.Read()) throw new FormatException($"line {LineOf(lineStarts, reader.TokenStartIndex)}: more after the end of the document.");
            return root;
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            throw new FormatException($"line {(e.LineNumber ?? 0) + 1}: not valid JSON: {message.TrimEnd('.', ' ')}.", e);
        }
    }

    /// <summary>The kind of node for messages: "an object", "a list", "a number", "text", "true or false", "null".</summary>
    public abstract string Kind { get; }

    private static LinedNode ReadValue(ref Utf8JsonReader reader, List<int> lineStarts)
    {
        int line = LineOf(lineStarts, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var members = new List<LinedMember>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    int memberLine = LineOf(lineStarts, reader.TokenStartIndex);
                    string name = reader.GetString()!;
                    if (members.Any(m => m.Name == name)) throw new FormatException($"line {memberLine}: '{name}' is given twice.");
                    reader.Read();
                    members.Add(new LinedMember(name, memberLine, ReadValue(ref reader, lineStarts)));
                }
                return new LinedObject(line, members);
            case JsonTokenType.StartArray:
                var items = new List<LinedNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadValue(ref reader, lineStarts));
                return new LinedArray(line, items);
            case JsonTokenType.String:
                return new LinedText(line, reader.GetString()!);
            case JsonTokenType.Number:
                return new LinedNumber(line, reader.GetDouble());
            case JsonTokenType.True or JsonTokenType.False:
                return new LinedBoolean(line, reader.GetBoolean());
            default:
                return new LinedNull(line);
        }
    }

    private static int LineOf(List<int> lineStarts, long offset)
    {
        int index = lineStarts.BinarySearch((int)offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }
}

/// <summary>A member of a <see cref="LinedObject"/>: its name, the line of the name, and its value.</summary>
/// <param name="Name">The member's name.</param>
/// <param name="Line">The line of the name.</param>
/// <param name="Value">The value.</param>
public sealed record LinedMember(string Name, int Line, LinedNode Value);

/// <summary>An object, members in file order.</summary>
/// <param name="Line">The line of the opening brace.</param>
/// <param name="Members">The members in order.</param>
public sealed record LinedObject(int Line, IReadOnlyList<LinedMember> Members) : LinedNode(Line)
{
    /// <inheritdoc />
    public override string Kind => "an object";

    /// <summary>The member called <paramref name="name"/>, or null.</summary>
    public LinedMember? Find(string name) => Members.FirstOrDefault(m => m.Name == name);
}

/// <summary>A list.</summary>
/// <param name="Line">The line of the opening bracket.</param>
/// <param name="Items">The items in order.</param>
public sealed record LinedArray(int Line, IReadOnlyList<LinedNode> Items) : LinedNode(Line)
{
    /// <inheritdoc />
    public override string Kind => "a list";
}

/// <summary>A string.</summary>
/// <param name="Line">Its line.</param>
/// <param name="Value">The text.</param>
public sealed record LinedText(int Line, string Value) : LinedNode(Line)
{
    /// <inheritdoc />
    public override string Kind => $"the text \"{Value}\"";
}

/// <summary>A number.</summary>
/// <param name="Line">Its line.</param>
/// <param name="Value">The value.</param>
public sealed record LinedNumber(int Line, double Value) : LinedNode(Line)
{
    /// <inheritdoc />
    public override string Kind => $"the number {Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>true or false.</summary>
/// <param name="Line">Its line.</param>
/// <param name="Value">The value.</param>
public sealed record LinedBoolean(int Line, bool Value) : LinedNode(Line)
{
    /// <inheritdoc />
    public override string Kind => Value ? "true" : "false";
}

/// <summary>null.</summary>
/// <param name="Line">Its line.</param>
public sealed record LinedNull(int Line) : LinedNode(Line)
{
    /// <inheritdoc />
    public override string Kind => "null";
}
