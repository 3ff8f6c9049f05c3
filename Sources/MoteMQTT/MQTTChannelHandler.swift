import NIOCore

/// Turns bytes from the broker into packets for its `MQTTClient`, and writes the packets the
/// client answers with (PUBACKs). A frame the decoder refuses closes the connection.
final class MQTTChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let client: MQTTClient
    private let decoder: MQTTFrameDecoder
    private var buffer = ByteBuffer()
    private var failed = false

    init(client: MQTTClient, maxPacketSize: Int) {
        self.client = client
        decoder = MQTTFrameDecoder(maxPacketSize: maxPacketSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        var replies = ByteBuffer()
        do throws(MQTTError) {
            while let packet = try decoder.decode(&buffer) {
                client.received(packet, replies: &replies)
            }
        } catch {
            fail(context: context, error)
            return
        }
        buffer.discardReadBytes()
        if replies.readableBytes > 0 { context.write(wrapOutboundOut(replies), promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.connectionClosed(MQTTError(.connectionClosed, "the broker closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, MQTTError(.connectionClosed, "connection error: \(error)"))
    }

    private func fail(context: ChannelHandlerContext, _ error: MQTTError) {
        failed = true
        client.connectionClosed(error)
        context.close(promise: nil)
    }
}
