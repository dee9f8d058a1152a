using System.Text.Json;

namespace Cnn;

/// <summary>
/// A JSON document read into a small tree whose every node knows its line, so a mistake in a hand-written file
/// (an architecture, see <see cref="ArchitectureFile"/>) can be reported as "line 7: …". Comments and trailing
/// commas are allowed. System.Text.Json's own syntax errors keep their line numbers.
/// </summary>
public abstract record JsonNode(int Line)
{
    /// <summary>Parses <paramref name="utf8"/>.</summary>
    /// <exception cref="FormatException">Not JSON; the message starts with <c>line N:</c>.</exception>
    public static JsonNode Parse(ReadOnlySpan<byte> utf8)
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

    private static JsonNode ReadValue(ref Utf8JsonReader reader, List<int> lineStarts)
    {
        int line = LineOf(lineStarts, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var members = new List<JsonMember>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    int memberLine = LineOf(lineStarts, reader.TokenStartIndex);
                    string name = reader.GetString()!;
                    if (members.Any(m => m.Name == name)) throw new FormatException($"line {memberLine}: '{name}' is given twice.");
                    reader.Read();
                    members.Add(new JsonMember(name, memberLine, ReadValue(ref reader, lineStarts)));
                }
                return new JsonObject(line, members);
            case JsonTokenType.StartArray:
                var items = new List<JsonNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadValue(ref reader, lineStarts));
                return new JsonArray(line, items);
            case JsonTokenType.String:
                return new JsonText(line, reader.GetString()!);
            case JsonTokenType.Number:
                return new JsonNumber(line, reader.GetDouble());
            case JsonTokenType.True or JsonTokenType.False:
                return new JsonBoolean(line, reader.GetBoolean());
            default:
                return new JsonNull(line);
        }
    }

    private static int LineOf(List<int> lineStarts, long offset)
    {
        int index = lineStarts.BinarySearch((int)offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }
}

/// <summary>A member of a <see cref="JsonObject"/>: its name, the line of the name, and its value.</summary>
/// <param name="Name">The member's name.</param>
/// <param name="Line">The line of the name.</param>
/// <param name="Value">The value.</param>
public sealed record JsonMember(string Name, int Line, JsonNode Value);

/// <summary>An object, members in file order.</summary>
/// <param name="Line">The line of the opening brace.</param>
/// <param name="Members">The members in order.</param>
public sealed record JsonObject(int Line, IReadOnlyList<JsonMember> Members) : JsonNode(Line)
{
    /// <inheritdoc />
    public override string Kind => "an object";

    /// <summary>The member called <paramref name="name"/>, or null.</summary>
    public JsonMember? Find(string name) => Members.FirstOrDefault(m => m.Name == name);
}

/// <summary>A list.</summary>
/// <param name="Line">The line of the opening bracket.</param>
/// <param name="Items">The items in order.</param>
public sealed record JsonArray(int Line, IReadOnlyList<JsonNode> Items) : JsonNode(Line)
{
    /// <inheritdoc />
    public override string Kind => "a list";
}

/// <summary>A string.</summary>
/// <param name="Line">Its line.</param>
/// <param name="Value">The text.</param>
public sealed record JsonText(int Line, string Value) : JsonNode(Line)
{
    /// <inheritdoc />
    public override string Kind => $"the text \"{Value}\"";
}

/// <summary>A number.</summary>
/// <param name="Line">Its line.</param>
/// <param name="Value">The value.</param>
public sealed record JsonNumber(int Line, double Value) : JsonNode(Line)
{
    /// <inheritdoc />
    public override string Kind => $"the number {Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>true or false.</summary>
/// <param name="Line">Its line.</param>
/// <param name="Value">The value.</param>
public sealed record JsonBoolean(int Line, bool Value) : JsonNode(Line)
{
    /// <inheritdoc />
    public override string Kind => Value ? "true" : "false";
}

/// <summary>null.</summary>
/// <param name="Line">Its line.</param>
public sealed record JsonNull(int Line) : JsonNode(Line)
{
    /// <inheritdoc />
    public override string Kind => "null";
}
