"""Media: files uploaded into chats, their metadata, thumbnails and who may read them."""
