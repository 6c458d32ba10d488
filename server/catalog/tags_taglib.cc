// The TagLib shim: opens a file read-only, hands TagLib's property map to the sink, and adds
// what the property map leaves out (pictures, ID3v2 lyrics with their language, TSST, MP4 and
// ASF items it does not translate, Vorbis comments TagLib could not decode). Nothing here
// decides what a key means: that is tags.c's. No exception leaves taglib_read.
#include "config.h"
#include "catalog/tags_taglib.h"

#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

// TagLib's own headers shadow members in inline constructors; that is theirs, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include <apefile.h>
#include <apetag.h>
#include <asffile.h>
#include <asfpicture.h>
#include <asftag.h>
#include <attachedpictureframe.h>
#include <fileref.h>
#include <flacfile.h>
#include <flacpicture.h>
#include <id3v2tag.h>
#include <mp4file.h>
#include <mp4tag.h>
#include <mpcfile.h>
#include <mpegfile.h>
#include <opusfile.h>
#include <speexfile.h>
#include <synchronizedlyricsframe.h>
#include <tdebuglistener.h>
#include <textidentificationframe.h>
#include <tfilestream.h>
#include <tpropertymap.h>
#include <trueaudiofile.h>
#include <unsynchronizedlyricsframe.h>
#include <vorbisfile.h>
#include <wavfile.h>
#include <aifffile.h>
#include <wavpackfile.h>
#include <xiphcomment.h>
#pragma GCC diagnostic pop

using namespace TagLib;

namespace {

// SYLT text past this is not converted: tags.c keeps TAG_LYRICS_MAX bytes of lyrics anyway.
const size_t LRC_MAX = 512 * 1024;

// TagLib reports damaged tags on stderr through its debug listener; a damaged file is
// expected input here, and tags.c falls back to the path, so the messages are dropped.
class Quiet : public DebugListener {
public:
	void printMessage(const String &) override {}
};

Quiet quiet;
std::once_flag quiet_once;

void emit(const taglib_sink *s, const std::string &key, const std::vector<std::string> &values)
{
	std::vector<const char *> ptrs;

	for (const std::string &v : values) {
		if (ptrs.size() == TAGLIB_VALUES_MAX)
			break;
		ptrs.push_back(v.c_str());
	}
	if (!ptrs.empty())
		s->property(s->ctx, key.c_str(), ptrs.data(), (int)ptrs.size());
}

void emit(const taglib_sink *s, const String &key, const StringList &values)
{
	std::vector<std::string> v;

	for (StringList::ConstIterator it = values.begin(); it != values.end(); ++it) {
		if (v.size() == TAGLIB_VALUES_MAX)
			break;
		v.push_back(it->to8Bit(true));
	}
	emit(s, key.upper().to8Bit(true), v);
}

void picture(const taglib_sink *s, bool front, const String &mime, const ByteVector &data)
{
	if (!data.isEmpty())
		s->picture(s->ctx, front, mime.to8Bit(true).c_str(),
			   reinterpret_cast<const unsigned char *>(data.data()), data.size());
}

// A frame's language when it is three ASCII letters ("eng"), else "".
std::string language(const ByteVector &lang)
{
	if (lang.size() != 3)
		return std::string();
	for (unsigned i = 0; i < 3; i++) {
		char c = lang[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return std::string();
	}
	return std::string(lang.data(), 3);
}

// SYLT as LRC: one "[mm:ss.xx]text" line per timed entry. Only millisecond timestamps are
// converted: MPEG frame counts would need the stream's frame length, and such frames are rare.
bool sylt_to_lrc(const ID3v2::SynchronizedLyricsFrame *f, std::string &lrc)
{
	ID3v2::SynchronizedLyricsFrame::Type type = f->type();

	if (f->timestampFormat() != ID3v2::SynchronizedLyricsFrame::AbsoluteMilliseconds ||
	    (type != ID3v2::SynchronizedLyricsFrame::Lyrics &&
	     type != ID3v2::SynchronizedLyricsFrame::TextTranscription &&
	     type != ID3v2::SynchronizedLyricsFrame::Other))
		return false;
	const ID3v2::SynchronizedLyricsFrame::SynchedTextList list = f->synchedText();
	for (ID3v2::SynchronizedLyricsFrame::SynchedTextList::ConstIterator it = list.begin();
	     it != list.end() && lrc.size() < LRC_MAX; ++it) {
		char stamp[32];
		std::string text = it->text.to8Bit(true);
		size_t a = 0, b = text.size();

		// Taggers put the line break before or after an entry's text; inside it, a break
		// would start an untimed line.
		while (a < b && (text[a] == '\n' || text[a] == '\r'))
			a++;
		while (b > a && (text[b - 1] == '\n' || text[b - 1] == '\r'))
			b--;
		text = text.substr(a, b - a);
		for (char &c : text)
			if (c == '\n' || c == '\r')
				c = ' ';
		snprintf(stamp, sizeof stamp, "[%02u:%02u.%02u]", it->time / 60000,
			 it->time / 1000 % 60, it->time % 1000 / 10);
		lrc += stamp;
		lrc += text;
		lrc += '\n';
	}
	return !lrc.empty();
}

void id3v2_extras(const taglib_sink *s, ID3v2::Tag *tag)
{
	if (!tag)
		return;
	const ID3v2::FrameListMap &frames = tag->frameListMap();
	ID3v2::FrameListMap::ConstIterator it;

	if ((it = frames.find("APIC")) != frames.end())
		for (ID3v2::Frame *fr : it->second)
			if (auto *p = dynamic_cast<ID3v2::AttachedPictureFrame *>(fr))
				picture(s, p->type() == ID3v2::AttachedPictureFrame::FrontCover,
					p->mimeType(), p->picture());
	if ((it = frames.find("SYLT")) != frames.end())
		for (ID3v2::Frame *fr : it->second) {
			auto *l = dynamic_cast<ID3v2::SynchronizedLyricsFrame *>(fr);
			std::string lrc;

			if (l && sylt_to_lrc(l, lrc))
				s->lyrics(s->ctx, lrc.c_str(), 1, language(l->language()).c_str());
		}
	if ((it = frames.find("USLT")) != frames.end())
		for (ID3v2::Frame *fr : it->second)
			if (auto *l = dynamic_cast<ID3v2::UnsynchronizedLyricsFrame *>(fr))
				s->lyrics(s->ctx, l->text().to8Bit(true).c_str(), 0,
					  language(l->language()).c_str());
	// TSST (set subtitle, ID3v2.4) is missing from TagLib 1.13's property table.
	if ((it = frames.find("TSST")) != frames.end())
		for (ID3v2::Frame *fr : it->second)
			if (auto *t = dynamic_cast<ID3v2::TextIdentificationFrame *>(fr))
				emit(s, "DISCSUBTITLE", t->fieldList());
}

// APE keeps pictures as binary items "Cover Art (Front)" and the like: a file name, a NUL,
// the image.
void ape_extras(const taglib_sink *s, APE::Tag *tag)
{
	if (!tag)
		return;
	const APE::ItemListMap &items = tag->itemListMap();

	for (APE::ItemListMap::ConstIterator it = items.begin(); it != items.end(); ++it) {
		if (!it->first.upper().startsWith("COVER ART (") ||
		    it->second.type() != APE::Item::Binary)
			continue;
		const ByteVector data = it->second.binaryData();
		int nul = data.find('\0');

		if (nul >= 0)
			picture(s, it->first.upper() == "COVER ART (FRONT)", String(),
				data.mid((unsigned)nul + 1));
	}
}

void xiph_pictures(const taglib_sink *s, Ogg::XiphComment *xc)
{
	if (!xc)
		return;
	List<FLAC::Picture *> pics = xc->pictureList();
	for (FLAC::Picture *p : pics)
		picture(s, p->type() == FLAC::Picture::FrontCover, p->mimeType(), p->data());
}

// The raw comment block of a FLAC stream: the first VORBIS_COMMENT metadata block after
// "fLaC" (which may follow an ID3v2 tag).
ByteVector flac_comment_block(TagLib::File *f)
{
	long start = 0;

	f->seek(0);
	const ByteVector h = f->readBlock(10);
	if (h.size() == 10 && h.startsWith("ID3") && !((h[6] | h[7] | h[8] | h[9]) & 0x80))
		start = 10 + ((long)h[6] << 21 | (long)h[7] << 14 | (long)h[8] << 7 | (long)h[9]) +
			((h[5] & 0x10) ? 10 : 0);
	long pos = f->find("fLaC", start);
	if (pos < 0)
		return ByteVector();
	pos += 4;
	for (int blocks = 0; blocks < 1024; blocks++) {
		f->seek(pos);
		const ByteVector bh = f->readBlock(4);
		if (bh.size() != 4)
			break;
		const unsigned len = bh.toUInt(1, 3, true);
		if ((bh[0] & 0x7f) == 4)
			return f->readBlock(len);
		if (bh[0] & 0x80)
			break;
		pos += 4 + (long)len;
	}
	return ByteVector();
}

// TagLib drops a Vorbis comment whose value is not valid UTF-8. Such values are real (old
// taggers wrote Latin-1), so the raw comment block is read again, and every key with such a
// value is passed with all its values as raw bytes, in tag order, for tags.c to repair.
// Returns the keys passed that way: their values in the property map are incomplete.
std::set<String> xiph_repair(const taglib_sink *s, TagLib::File *f)
{
	std::set<String> keys;
	ByteVector raw;

	if (auto *v = dynamic_cast<Ogg::Vorbis::File *>(f)) {
		raw = v->packet(1);
		raw = raw.startsWith("\x03vorbis") ? raw.mid(7) : ByteVector();
	} else if (auto *o = dynamic_cast<Ogg::Opus::File *>(f)) {
		raw = o->packet(1);
		raw = raw.startsWith("OpusTags") ? raw.mid(8) : ByteVector();
	} else if (auto *sp = dynamic_cast<Ogg::Speex::File *>(f)) {
		raw = sp->packet(1);
	} else if (dynamic_cast<FLAC::File *>(f)) {
		raw = flac_comment_block(f);
	}
	if (raw.size() < 8)
		return keys;

	std::vector<std::pair<String, ByteVector>> fields;
	unsigned pos = 4 + raw.toUInt(0, false), count;
	if (pos < 4 || pos > raw.size() - 4)
		return keys;
	count = raw.toUInt(pos, false);
	pos += 4;
	for (unsigned i = 0; i < count && raw.size() - pos >= 4; i++) {
		const unsigned len = raw.toUInt(pos, false);
		pos += 4;
		if (len > raw.size() - pos)
			break;
		const ByteVector entry = raw.mid(pos, len);
		pos += len;
		const int eq = entry.find('=');
		if (eq < 1)
			continue;
		const String key = String(entry.mid(0, (unsigned)eq), String::UTF8).upper();
		const ByteVector value = entry.mid((unsigned)eq + 1);
		if (key.isEmpty() || key == "METADATA_BLOCK_PICTURE" || key == "COVERART")
			continue;
		fields.emplace_back(key, value);
		if (!value.isEmpty() && String(value, String::UTF8).isEmpty())
			keys.insert(key);
	}
	for (const String &key : keys) {
		std::vector<std::string> values;

		for (const auto &fv : fields)
			if (fv.first == key)
				values.emplace_back(fv.second.data(), fv.second.size());
		emit(s, key.to8Bit(true), values);
	}
	return keys;
}

// An ASF attribute as text: strings as they are, numbers in decimal, booleans 0 or 1.
bool asf_text(const ASF::Attribute &a, String &out)
{
	switch (a.type()) {
	case ASF::Attribute::UnicodeType:
		out = a.toString();
		return true;
	case ASF::Attribute::BoolType:
		out = String::number(a.toBool() ? 1 : 0);
		return true;
	case ASF::Attribute::WordType:
		out = String::number(a.toUShort());
		return true;
	case ASF::Attribute::DWordType:
		out = String::number((int)a.toUInt());
		return true;
	default:
		return false;
	}
}

// What ASF's property map leaves out: pictures, WM/IsCompilation and custom attributes
// (SEGUE_MARKETS), passed under their own names.
void asf_extras(const taglib_sink *s, ASF::Tag *tag, const StringList &unsupported)
{
	if (!tag)
		return;
	const ASF::AttributeListMap &attrs = tag->attributeListMap();

	for (const String &name : unsupported) {
		ASF::AttributeListMap::ConstIterator it = attrs.find(name);
		StringList values;

		if (it == attrs.end())
			continue;
		for (const ASF::Attribute &a : it->second) {
			String text;

			if (name == "WM/Picture") {
				const ASF::Picture p = a.toPicture();
				if (p.isValid())
					picture(s, p.type() == ASF::Picture::FrontCover, p.mimeType(),
						p.picture());
			} else if (asf_text(a, text)) {
				values.append(text);
			}
		}
		emit(s, name == "WM/IsCompilation" ? String("COMPILATION") : name, values);
	}
}

const char *mp4_mime(MP4::CoverArt::Format f)
{
	switch (f) {
	case MP4::CoverArt::JPEG:
		return "image/jpeg";
	case MP4::CoverArt::PNG:
		return "image/png";
	case MP4::CoverArt::GIF:
		return "image/gif";
	case MP4::CoverArt::BMP:
		return "image/bmp";
	default:
		return "";
	}
}

// What MP4's property map leaves out: covr, rtng (as Picard names it, ITUNESADVISORY) and
// freeform iTunes items it has no name for (SEGUE_MARKETS, ALBUMARTISTS...).
void mp4_extras(const taglib_sink *s, MP4::Tag *tag, const StringList &unsupported)
{
	static const String freeform("----:com.apple.iTunes:");

	if (!tag)
		return;
	const MP4::ItemMap items = tag->itemMap();
	MP4::ItemMap::ConstIterator it = items.find("covr");
	if (it != items.end()) {
		const MP4::CoverArtList arts = it->second.toCoverArtList();
		for (const MP4::CoverArt &a : arts)
			picture(s, false, mp4_mime(a.format()), a.data());
	}
	if ((it = items.find("rtng")) != items.end())
		emit(s, "ITUNESADVISORY", StringList(String::number(it->second.toByte())));
	for (const String &name : unsupported)
		if (name.startsWith(freeform) && (it = items.find(name)) != items.end())
			emit(s, name.substr(freeform.size()), it->second.toStringList());
}

void read_file(const taglib_sink *s, TagLib::File *f)
{
	// Format-specific readings first: the sink keeps the first of each kind it is given, and
	// these carry more (a lyrics frame's language) than the property map's copy of them.
	if (auto *m = dynamic_cast<MPEG::File *>(f)) {
		id3v2_extras(s, m->ID3v2Tag(false));
		ape_extras(s, m->APETag(false));
	} else if (auto *fl = dynamic_cast<FLAC::File *>(f)) {
		List<FLAC::Picture *> pics = fl->pictureList();
		for (FLAC::Picture *p : pics)
			picture(s, p->type() == FLAC::Picture::FrontCover, p->mimeType(), p->data());
		xiph_pictures(s, fl->xiphComment(false));
		id3v2_extras(s, fl->ID3v2Tag(false));
	} else if (dynamic_cast<Ogg::File *>(f)) {
		xiph_pictures(s, dynamic_cast<Ogg::XiphComment *>(f->tag()));
	} else if (auto *w = dynamic_cast<RIFF::WAV::File *>(f)) {
		id3v2_extras(s, w->ID3v2Tag());
	} else if (auto *ai = dynamic_cast<RIFF::AIFF::File *>(f)) {
		id3v2_extras(s, ai->tag());
	} else if (auto *ta = dynamic_cast<TrueAudio::File *>(f)) {
		id3v2_extras(s, ta->ID3v2Tag(false));
	} else if (auto *a = dynamic_cast<APE::File *>(f)) {
		ape_extras(s, a->APETag(false));
	} else if (auto *wv = dynamic_cast<WavPack::File *>(f)) {
		ape_extras(s, wv->APETag(false));
	} else if (auto *mpc = dynamic_cast<MPC::File *>(f)) {
		ape_extras(s, mpc->APETag(false));
	}

	const std::set<String> repaired = xiph_repair(s, f);
	const PropertyMap props = f->properties();
	for (PropertyMap::ConstIterator it = props.begin(); it != props.end(); ++it)
		if (!repaired.count(it->first))
			emit(s, it->first, it->second);

	if (auto *mp4 = dynamic_cast<MP4::File *>(f))
		mp4_extras(s, mp4->tag(), props.unsupportedData());
	else if (auto *asf = dynamic_cast<ASF::File *>(f))
		asf_extras(s, asf->tag(), props.unsupportedData());
}

} // namespace

extern "C" int taglib_read(const char *path, const taglib_sink *sink)
{
	try {
		std::call_once(quiet_once, [] { setDebugListener(&quiet); });
		// Read-only, so that reading tags can never write to a user's music.
		FileStream stream(path, true);
		if (!stream.isOpen())
			return 0;
		FileRef ref(&stream, false);
		if (ref.isNull() || !ref.file()->isValid())
			return 0;
		read_file(sink, ref.file());
		return 1;
	} catch (...) {
		// Out of memory, most likely, on a hostile file: what was passed stands.
		return 0;
	}
}
